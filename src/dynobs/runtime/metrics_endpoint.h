#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dynobs/common/serial_executor.h"
#include "dynobs/http/message.h"
#include "dynobs/metrics/exposition.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::runtime {

// `GET /metrics` for a registry tree: Prometheus text 0.0.4, OpenMetrics 1.0 when the Accept
// header asks for it, gzip when accepted (decided difference 10); 401 without the bearer token
// when one is set; rendered on a dedicated thread, never on the io threads, behind a bounded
// queue (503 with Retry-After: 1 when full). Used by the system status server and the KVBM
// metrics server.
//
// Thread safety: Handle() may be called from any thread. The registry must outlive the endpoint.
class MetricsEndpoint {
 public:
  struct Options {
    std::optional<std::string> token;  // bearer token required to scrape, if set
    size_t max_queued_scrapes = 4;     // behind the one rendering
  };

  MetricsEndpoint(std::shared_ptr<const metrics::Registry> root, Options options);

  void Handle(const http::Request& request, const http::Responder& respond);

 private:
  [[nodiscard]] bool Authorized(const http::Request& request) const;

  std::shared_ptr<const metrics::Registry> root_;
  Options options_;
  metrics::Scraper scraper_;  // used only on the render thread
  SerialExecutor render_;     // last: joined first, before what its tasks use
};

}  // namespace dynobs::runtime
