#include "dynobs/runtime/metrics_server.h"

#include "dynobs/http/router.h"

namespace dynobs::runtime {
namespace {

http::Handler MetricsOnly(MetricsEndpoint& endpoint) {
  http::Router router;
  router.Add("GET", "/metrics", [&endpoint](http::Request&& req, const http::Responder& respond) {
    endpoint.Handle(req, respond);
  });
  return router.AsHandler();
}

}  // namespace

MetricsServer::MetricsServer(http::EventLoop& loop, std::shared_ptr<const metrics::Registry> root,
                             std::string host, uint16_t port)
    : endpoint_(std::move(root), {}),
      server_(loop, {.host = std::move(host), .port = port}, MetricsOnly(endpoint_)) {}

MetricsServer::~MetricsServer() { Stop(std::chrono::milliseconds(0)); }

Status MetricsServer::Start() { return server_.Start(); }

void MetricsServer::Stop(std::chrono::milliseconds grace) { server_.Stop(grace); }

}  // namespace dynobs::runtime
