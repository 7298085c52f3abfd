#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::health {

enum class HealthStatus { kReady, kNotReady };

[[nodiscard]] std::string_view HealthStatusName(HealthStatus status);  // "ready" / "notready"
// Reads DYN_SYSTEM_STARTING_HEALTH_STATUS's words: "ready" or "notready".
[[nodiscard]] std::optional<HealthStatus> ParseHealthStatus(std::string_view text);

// A process's readiness and liveness (spec §6.1-§6.2, decided difference 5).
//
// Readiness: if `use_endpoint_health_status` names endpoints, ready means every one of them is
// registered and Ready; otherwise ready follows the system status (the starting status until
// someone sets it). Endpoint entries all appear in the /health body, counted or not.
// Liveness: the process answers and is not shutting down.
//
// Thread safety: all methods may be called from any thread.
class SystemHealth {
 public:
  SystemHealth(HealthStatus starting_status, std::vector<std::string> use_endpoint_health_status);

  void SetSystemStatus(HealthStatus status);
  void SetEndpointStatus(const std::string& endpoint, HealthStatus status);
  // Marks the start of draining: /live answers 503 shutting_down from now on.
  void SetShuttingDown();

  [[nodiscard]] bool IsReady() const;
  [[nodiscard]] bool IsShuttingDown() const { return shutting_down_.load(); }
  [[nodiscard]] std::chrono::nanoseconds Uptime() const;

  // `{"endpoints":{...},"status":"ready","uptime":{"nanos":N,"secs":S}}`, keys sorted (§5.1).
  [[nodiscard]] std::string HealthBody() const;
  // `{"message":"Service is live","status":"live"}` or the shutting_down variant.
  [[nodiscard]] std::string LiveBody() const;

 private:
  [[nodiscard]] bool IsReadyLocked() const;

  const std::chrono::steady_clock::time_point start_;
  const std::vector<std::string> use_endpoint_health_status_;
  mutable std::mutex mu_;
  HealthStatus system_status_;
  std::map<std::string, HealthStatus> endpoints_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace dynobs::health
