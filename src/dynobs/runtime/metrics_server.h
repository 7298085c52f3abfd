#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/server.h"
#include "dynobs/runtime/metrics_endpoint.h"

namespace dynobs::runtime {

// An HTTP server with only `GET /metrics` for one registry tree: the KVBM metrics server
// (DYN_KVBM_METRICS_PORT, spec §1, §3.9). Unknown paths 404, other methods 405.
//
// Lifetime: the loop and the registry must outlive the server.
class MetricsServer {
 public:
  MetricsServer(http::EventLoop& loop, std::shared_ptr<const metrics::Registry> root,
                std::string host, uint16_t port);
  ~MetricsServer();

  [[nodiscard]] Status Start();
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

 private:
  MetricsEndpoint endpoint_;
  http::Server server_;  // last: stopped first
};

}  // namespace dynobs::runtime
