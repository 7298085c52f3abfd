#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "dynobs/http/event_loop.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/runtime/request_plane/server.h"
#include "dynobs/runtime/request_plane/work_handler_metrics.h"

namespace dynobs::runtime::request_plane_internal {

class ServerConnection;

// One served endpoint; immutable once added.
struct EndpointEntry {
  std::string name;
  EndpointHandler handler;
  std::unique_ptr<WorkHandlerMetrics> metrics;  // null: observability off
  WorkHandlerPerf perf;
  // handle_payload's attributes (spec §8.2).
  std::string namespace_name;
  std::string component_name;
  std::string endpoint_name;
  uint64_t instance_id = 0;
};

// Requests refused before an endpoint could account for them.
enum class Rejection : uint8_t {
  kMalformedFrame,
  kOversized,
  kUnknownEndpoint,
  kTooManyConnections,
  kShuttingDown,
};
inline constexpr size_t kRejectionCount = 5;

// What a server's connections and streams share; outlives the server while they remain.
// Thread safety: every member function is thread-safe.
class ServerState {
 public:
  ServerState(http::EventLoop& loop, RequestPlaneServerOptions options);

  http::EventLoop& loop;
  boost::asio::io_context& io;
  const RequestPlaneServerOptions options;
  std::atomic<bool> stopping{false};

  Status AddEndpoint(std::shared_ptr<const EndpointEntry> entry);
  [[nodiscard]] std::shared_ptr<const EndpointEntry> FindEndpoint(std::string_view name) const;

  // A slot for a stream in flight; false at max_concurrent_streams.
  bool TryStartStream();
  void EndStream();
  [[nodiscard]] size_t active_streams() const { return active_.load(std::memory_order_relaxed); }
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const;

  // Connections: Add fails (0) at max_connections.
  uint64_t AddConnection(const std::shared_ptr<ServerConnection>& connection);
  void RemoveConnection(uint64_t id);
  [[nodiscard]] std::vector<std::shared_ptr<ServerConnection>> Connections() const;
  [[nodiscard]] size_t connection_count() const;
  bool WaitNoConnections(std::chrono::steady_clock::time_point deadline) const;

  void CountRejection(Rejection reason) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // active_ reached 0; a connection went
  std::map<std::string, std::shared_ptr<const EndpointEntry>, std::less<>> endpoints_;
  std::unordered_map<uint64_t, std::weak_ptr<ServerConnection>> connections_;
  uint64_t next_connection_id_ = 1;
  std::atomic<size_t> active_{0};
  std::array<metrics::IntCounter, kRejectionCount> rejections_;
};

}  // namespace dynobs::runtime::request_plane_internal
