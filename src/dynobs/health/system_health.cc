#include "dynobs/health/system_health.h"

#include "dynobs/common/json_escape.h"

namespace dynobs::health {

std::string_view HealthStatusName(HealthStatus status) {
  return status == HealthStatus::kReady ? "ready" : "notready";
}

std::optional<HealthStatus> ParseHealthStatus(std::string_view text) {
  if (text == "ready") return HealthStatus::kReady;
  if (text == "notready") return HealthStatus::kNotReady;
  return std::nullopt;
}

SystemHealth::SystemHealth(HealthStatus starting_status,
                           std::vector<std::string> use_endpoint_health_status)
    : start_(std::chrono::steady_clock::now()),
      use_endpoint_health_status_(std::move(use_endpoint_health_status)),
      system_status_(starting_status) {}

void SystemHealth::SetSystemStatus(HealthStatus status) {
  std::lock_guard lock(mu_);
  system_status_ = status;
}

void SystemHealth::SetEndpointStatus(const std::string& endpoint, HealthStatus status) {
  std::lock_guard lock(mu_);
  endpoints_[endpoint] = status;
}

void SystemHealth::SetShuttingDown() { shutting_down_.store(true); }

bool SystemHealth::IsReadyLocked() const {
  if (!use_endpoint_health_status_.empty()) {
    for (const auto& name : use_endpoint_health_status_) {
      auto it = endpoints_.find(name);
      if (it == endpoints_.end() || it->second != HealthStatus::kReady) return false;
    }
    return true;
  }
  return system_status_ == HealthStatus::kReady;
}

bool SystemHealth::IsReady() const {
  std::lock_guard lock(mu_);
  return IsReadyLocked();
}

std::chrono::nanoseconds SystemHealth::Uptime() const {
  return std::chrono::steady_clock::now() - start_;
}

std::string SystemHealth::HealthBody() const {
  auto uptime = Uptime().count();
  std::string out = "{\"endpoints\":{";
  bool ready;
  {
    std::lock_guard lock(mu_);
    bool first = true;
    for (const auto& [name, status] : endpoints_) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, name);
      out += ':';
      AppendJsonString(out, HealthStatusName(status));
    }
    ready = IsReadyLocked();
  }
  out += "},\"status\":\"";
  out += HealthStatusName(ready ? HealthStatus::kReady : HealthStatus::kNotReady);
  out += "\",\"uptime\":{\"nanos\":";
  out += std::to_string(uptime % 1000000000);
  out += ",\"secs\":";
  out += std::to_string(uptime / 1000000000);
  out += "}}";
  return out;
}

std::string SystemHealth::LiveBody() const {
  return IsShuttingDown() ? R"({"message":"Service is shutting down","status":"shutting_down"})"
                          : R"({"message":"Service is live","status":"live"})";
}

}  // namespace dynobs::health
