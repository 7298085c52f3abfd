#include "dynobs/runtime/system_status_server.h"

#include <fmt/format.h>

#include "dynobs/common/gzip.h"
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

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

SystemStatusServer::SystemStatusServer(http::EventLoop& loop,
                                       std::shared_ptr<DistributedRuntime> runtime, Options options)
    : runtime_(std::move(runtime)),
      options_(std::move(options)),
      server_(loop, ServerOptionsFrom(options_), Routes().AsHandler()),
      render_("metrics-render", options_.max_queued_scrapes) {}

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
               HandleMetrics(std::move(req), respond);
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

bool SystemStatusServer::Authorized(const http::Request& request) const {
  if (!options_.metrics_token) return true;
  std::string_view auth = request.HeaderValue("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (auth.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return false;
  }
  return ConstantTimeEquals(auth.substr(kScheme.size()), *options_.metrics_token);
}

void SystemStatusServer::HandleMetrics(http::Request&& request, const http::Responder& respond) {
  if (!Authorized(request)) {
    http::Response r = http::Response::Text(401, "Unauthorized");
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
    respond(std::move(r));
    return;
  }
  auto format = metrics::NegotiateFormat(request.HeaderValue("Accept"));
  bool gzip = metrics::AcceptsGzip(request.HeaderValue("Accept-Encoding"));
  auto task = [this, format, gzip, respond] {
    metrics::Exposition e = scraper_.Scrape(*runtime_->metrics().registry(), format);
    http::Response r;
    r.headers.push_back({"Content-Type", std::string(metrics::ContentType(e.format))});
    r.headers.push_back({"Vary", "Accept, Accept-Encoding"});
    if (gzip) {
      auto z = GzipCompress(e.body);
      if (z.ok()) {
        r.headers.push_back({"Content-Encoding", "gzip"});
        e.body = std::move(*z);
      }
    }
    r.body = std::move(e.body);
    respond(std::move(r));
  };
  if (!render_.TryPost(std::move(task))) {
    http::Response r = http::Response::Text(503, "Too many scrapes in progress; retry shortly");
    r.headers.push_back({"Retry-After", "1"});
    respond(std::move(r));
  }
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
