#include "dynobs/app/tracecontext_test_service.h"

#include <curl/curl.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "dynobs/app/shutdown_signal.h"
#include "dynobs/common/env.h"
#include "dynobs/common/serial_executor.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/http/server.h"
#include "dynobs/logging/config.h"
#include "dynobs/logging/log.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/sampler.h"
#include "dynobs/tracing/span.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::app {
namespace {

constexpr const char* kTarget = "dynobs::tracecontext_test_service";
constinit tracing::SpanSite kServerSpan("tracecontext-test", "dynobs::tracecontext_test_service",
                                        logging::Level::kInfo, tracing::SpanKind::kServer);
constinit tracing::SpanSite kCallSpan("tracecontext-test.call", "dynobs::tracecontext_test_service",
                                      logging::Level::kInfo, tracing::SpanKind::kClient);
// What the service reads of a callee's answer before giving up on it.
constexpr size_t kMaxResponseBytes = 1024 * 1024;
constexpr size_t kQueuedPerWorker = 16;

struct CallResult {
  bool delivered = false;
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  std::string error;
};

size_t CountAndDiscard(char* /*data*/, size_t size, size_t n, void* userdata) {
  auto* total = static_cast<size_t*>(userdata);
  *total += size * n;
  return *total > kMaxResponseBytes ? 0 : size * n;  // 0 aborts the transfer
}

// POSTs `call.arguments_json` to `call.url` with `headers` ("Name: value"), blocking for at most
// `timeout_ms`. Plain http and https only; no redirects.
CallResult PostJson(const TestCall& call, const std::vector<std::string>& headers, int timeout_ms) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return {false, 0, "cannot create a libcurl handle"};
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(list, &curl_slist_free_all);
  size_t received = 0;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.arguments_json.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.arguments_json.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &CountAndDiscard);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &received);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return {false, 0, curl_easy_strerror(rc)};
  CallResult result{.delivered = true};
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

// The outgoing headers of one call from the span `call`: its trace context, and JSON.
std::vector<std::string> CallHeaders(const tracing::SpanContext& call) {
  std::vector<std::string> headers = {"Content-Type: application/json", "Expect:"};
  tracing::InjectTraceContext(call, [&headers](std::string_view name, std::string_view value) {
    headers.push_back(fmt::format("{}: {}", name, value));
  });
  return headers;
}

// Makes the calls of one /test request under a server span whose parent is `incoming`.
http::Response RunCalls(const std::vector<TestCall>& calls, const tracing::SpanContext& incoming,
                        int timeout_ms) {
  tracing::Span server(kServerSpan, incoming);
  tracing::SpanScope scope(server);
  server.SetAttribute("calls", static_cast<int64_t>(calls.size()));
  boost::json::array failures;
  for (const TestCall& call : calls) {
    tracing::Span span(kCallSpan);  // a child of `server`: a span id of its own per call
    span.SetAttribute("url", call.url);
    CallResult r = PostJson(call, CallHeaders(span.context()), timeout_ms);
    if (r.delivered) {
      span.SetAttribute("status", static_cast<int64_t>(r.status));
      continue;
    }
    span.SetStatus(tracing::StatusCode::kError, r.error);
    DYNOBS_LOG(kWarn, kTarget, "test call failed", {"url", call.url}, {"error", r.error});
    failures.push_back(boost::json::object{{"url", call.url}, {"error", r.error}});
  }
  if (failures.empty()) {
    return http::Response::Json(200, fmt::format("{{\"calls\":{}}}", calls.size()));
  }
  server.SetStatus(tracing::StatusCode::kError, "test calls failed");
  boost::json::object body{
      {"error", fmt::format("{} of {} calls failed", failures.size(), calls.size())},
      {"failures", std::move(failures)}};
  return http::Response::Json(502, boost::json::serialize(body));
}

http::Response JsonError(int status, std::string_view message) {
  return http::Response::Json(status,
                              boost::json::serialize(boost::json::object{{"error", message}}));
}

// Worker threads behind bounded queues: a task goes to the first with room.
class Workers {
 public:
  explicit Workers(int n) {
    for (int i = 0; i < n; ++i) {
      executors_.push_back(
          std::make_unique<SerialExecutor>("tracecontext-worker", kQueuedPerWorker));
    }
  }

  [[nodiscard]] bool TryPost(const std::function<void()>& task) {
    size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < executors_.size(); ++i) {
      if (executors_[(start + i) % executors_.size()]->TryPost(task)) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<SerialExecutor>> executors_;
  std::atomic<size_t> next_{0};
};

http::Handler TestHandler(Workers& workers, int timeout_ms) {
  return [&workers, timeout_ms](http::Request&& request, const http::Responder& respond) {
    auto calls = ParseTestCalls(request.body);
    if (!calls.ok()) {
      respond(JsonError(400, calls.status().message()));
      return;
    }
    tracing::SpanContext incoming = tracing::ExtractContext(tracing::LookupIn(request.headers));
    auto task = [calls = std::move(*calls), incoming, respond, timeout_ms] {
      respond(RunCalls(calls, incoming, timeout_ms));
    };
    if (!workers.TryPost(task)) respond(JsonError(503, "busy: too many /test requests queued"));
  };
}

void ConfigureOrExit() {
  env::Reader env(env::ProcessSource());
  auto logging_config = logging::LoadLoggingConfig(env);
  if (!logging_config.ok()) env::ExitWithConfigError(logging_config.status());
  logging::InitLogging(*logging_config);
  auto tracing_config = tracing::LoadTracingConfig(env);
  if (!tracing_config.ok()) env::ExitWithConfigError(tracing_config.status());
  for (const auto& w : tracing_config->warnings) DYNOBS_LOG(kWarn, kTarget, w);
  tracing::TracerProvider::Configure(
      {.sampler = tracing_config->sampler, .service_name = tracing_config->service_name});
}

}  // namespace

StatusOr<std::vector<TestCall>> ParseTestCalls(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  if (ec) return InvalidArgumentError("the body is not JSON: " + ec.message());
  if (!doc.is_array()) {
    return InvalidArgumentError(
        R"(the body must be a JSON array of {"url": ..., "arguments": [...]})");
  }
  const boost::json::array& items = doc.get_array();
  if (items.size() > kMaxTestCalls) {
    return InvalidArgumentError(fmt::format("at most {} calls per request", kMaxTestCalls));
  }
  std::vector<TestCall> calls;
  for (size_t i = 0; i < items.size(); ++i) {
    const boost::json::object* item = items[i].if_object();
    const boost::json::value* url = item != nullptr ? item->if_contains("url") : nullptr;
    if (url == nullptr || !url->is_string()) {
      return InvalidArgumentError(fmt::format("element {} has no \"url\" string", i));
    }
    std::string_view u = url->get_string();
    if (u.size() > kMaxTestUrlBytes || !(u.starts_with("http://") || u.starts_with("https://"))) {
      return InvalidArgumentError(
          fmt::format("element {}: \"url\" must be an http:// or https:// URL of at most {} bytes",
                      i, kMaxTestUrlBytes));
    }
    const boost::json::value* arguments = item->if_contains("arguments");
    if (arguments != nullptr && !arguments->is_array()) {
      return InvalidArgumentError(fmt::format("element {}: \"arguments\" must be an array", i));
    }
    calls.push_back({std::string(u), arguments != nullptr ? boost::json::serialize(*arguments)
                                                          : std::string("[]")});
  }
  return calls;
}

void AddTracecontextTestServiceCommand(CLI::App& app, TracecontextTestServiceOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "tracecontext-test-service",
      "Serve POST /test for the W3C Trace Context conformance suite (test/test.py): for each "
      "{\"url\", \"arguments\"} of the JSON array body, POST the arguments to the url, "
      "propagating the traceparent and tracestate received.");
  cmd->add_option("--port", options.port, "Port to listen on (0: a free one, printed on stdout).")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", options.host, "Address to bind (default 127.0.0.1).");
  cmd->add_option("--workers", options.workers, "Threads making the calls (default 4).")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--timeout-ms", options.timeout_ms, "Timeout of each call (default 5000).")
      ->check(CLI::Range(1, 600000));
  cmd->footer(
      "Environment: OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, "
      "OTEL_TRACES_SAMPLE_RATIO, DYN_LOG. See docs/tracing.md.");
}

int RunTracecontextTestService(const TracecontextTestServiceOptions& options) {
  ShutdownSignal::Block();
  ConfigureOrExit();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "dynobs: cannot initialize libcurl\n");
    return 1;
  }
  int status = 0;
  {
    Workers workers(options.workers);
    http::EventLoop loop(2);
    loop.Start();
    http::Router router;
    router.Add("POST", "/test", TestHandler(workers, options.timeout_ms));
    http::ServerOptions server_options{.host = options.host,
                                       .port = static_cast<uint16_t>(options.port),
                                       .max_body_bytes = kMaxTestBodyBytes};
    http::Server server(loop, server_options, router.AsHandler());
    if (Status s = server.Start(); !s.ok()) {
      std::fprintf(stderr, "dynobs: tracecontext test service: %s\n", s.message().c_str());
      status = 2;
    } else {
      std::printf("tracecontext test service listening on http://%s:%u/test\n",
                  options.host.c_str(), static_cast<unsigned>(server.port()));
      std::fflush(stdout);
      (void)ShutdownSignal::Wait();
      server.Stop(std::chrono::milliseconds(1000));
    }
    loop.Stop();
  }  // the workers finish what is queued
  curl_global_cleanup();
  logging::Shutdown();
  return status;
}

}  // namespace dynobs::app
