#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/http/server.h"
#include "dynobs/runtime/distributed_runtime.h"
#include "dynobs/runtime/metrics_endpoint.h"

namespace dynobs::runtime {

// A process's system status server (spec §5.1, decided differences 5 and 10):
//   GET /metrics          the runtime's registry tree; Prometheus text 0.0.4, OpenMetrics 1.0 when
//                         asked for, gzip when accepted; 401 without the bearer token when one is
//                         set; 503 (Retry-After: 1) when too many scrapes are already queued
//   GET /health, /ready   readiness: 200 ready / 503 notready, body of SystemHealth::HealthBody()
//   GET /live             liveness: 200 live / 503 shutting_down
//   anything else         404 "Route not found"; a known path with another method 405
//
// /metrics is rendered on a dedicated thread, never on the io threads, so that /health and /live
// answer at once while a large scrape is being built (DESIGN.md, Threads).
//
// Lifetime: the loop and the runtime must outlive the server; Stop() before destroying either.
class SystemStatusServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    uint16_t port = 0;
    std::string health_path = "/health";
    std::string live_path = "/live";
    std::optional<std::string> metrics_token;
    size_t max_queued_scrapes = 4;
    http::ServerOptions limits;  // host and port are taken from above
  };

  SystemStatusServer(http::EventLoop& loop, std::shared_ptr<DistributedRuntime> runtime,
                     Options options);
  ~SystemStatusServer();

  // Binds and starts serving; logs the bound address. Fails with a message naming the address.
  [[nodiscard]] Status Start();
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  [[nodiscard]] http::Router Routes();

  std::shared_ptr<DistributedRuntime> runtime_;
  Options options_;
  MetricsEndpoint metrics_;
  http::Server server_;  // last: stopped first, before what its handlers use
};

}  // namespace dynobs::runtime
