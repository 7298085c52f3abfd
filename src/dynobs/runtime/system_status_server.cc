#include "dynobs/runtime/system_status_server.h"

#include <fmt/format.h>

#include "dynobs/logging/log.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/span.h"

namespace dynobs::runtime {
namespace {

constexpr const char* kTarget = "dynobs::runtime::system_status_server";

http::ServerOptions ServerOptionsFrom(const SystemStatusServer::Options& o) {
  http::ServerOptions s = o.limits;
  s.host = o.host;
  s.port = o.port;
  return s;
}

}  // namespace

SystemStatusServer::SystemStatusServer(http::EventLoop& loop,
                                       std::shared_ptr<DistributedRuntime> runtime, Options options)
    : runtime_(std::move(runtime)),
      options_(std::move(options)),
      metrics_(runtime_->metrics().registry(), {.token = options_.metrics_token,
                                                .max_queued_scrapes = options_.max_queued_scrapes}),
      server_(loop, ServerOptionsFrom(options_), Routes().AsHandler()) {}

SystemStatusServer::~SystemStatusServer() { Stop(std::chrono::milliseconds(0)); }

namespace {

// Dynamo wraps every system route in a DEBUG `http-request` span of target `system_span` (spec
// §5.1, §8.2): recorded and exported only when DYN_LOG enables that target at DEBUG.
http::Handler Traced(http::Handler handler) {
  static constinit tracing::SpanSite kSystemSpan(
      "http-request", "system_span", logging::Level::kDebug, tracing::SpanKind::kServer);
  return [handler = std::move(handler)](http::Request&& req, http::Responder respond) {
    auto span = std::make_shared<tracing::Span>(
        kSystemSpan, tracing::ExtractContext(tracing::LookupIn(req.headers)));
    span->SetAttribute("method", req.method);
    span->SetAttribute("uri", req.target);
    span->SetAttribute("version", "HTTP/1.1");
    handler(std::move(req), [span, respond = std::move(respond)](http::Response r) {
      span->SetAttribute("status", static_cast<int64_t>(r.status));
      span->End();
      respond(std::move(r));
    });
  };
}

}  // namespace

http::Router SystemStatusServer::Routes() {
  http::Router router;
  router.Add("GET", "/metrics", Traced([this](http::Request&& req, const http::Responder& respond) {
               metrics_.Handle(req, respond);
             }));
  auto health = [this](http::Request&&, const http::Responder& respond) {
    auto& h = runtime_->health();
    respond(http::Response::Text(h.IsReady() ? 200 : 503, h.HealthBody()));
  };
  router.Add("GET", options_.health_path, Traced(health));
  if (options_.live_path != "/ready") router.Add("GET", "/ready", Traced(health));
  router.Add("GET", options_.live_path,
             Traced([this](http::Request&&, const http::Responder& respond) {
               auto& h = runtime_->health();
               respond(http::Response::Json(h.IsShuttingDown() ? 503 : 200, h.LiveBody()));
             }));
  return router;
}

Status SystemStatusServer::Start() {
  std::string address = fmt::format("{}:{}", options_.host, options_.port);
  DYNOBS_LOG(kInfo, kTarget, "[spawn_system_status_server] binding to: " + address);
  if (Status s = server_.Start(); !s.ok()) return s;
  std::string bound = fmt::format("{}:{}", options_.host, server_.port());
  DYNOBS_LOG(kInfo, kTarget, "system status server bound to: " + bound);
  DYNOBS_LOG(kInfo, kTarget, "System status server started successfully on " + bound,
             {"metrics", fmt::format("http://{}/metrics", bound)},
             {"health", fmt::format("http://{}{}", bound, options_.health_path)},
             {"live", fmt::format("http://{}{}", bound, options_.live_path)});
  return Status::Ok();
}

void SystemStatusServer::Stop(std::chrono::milliseconds grace) { server_.Stop(grace); }

}  // namespace dynobs::runtime
