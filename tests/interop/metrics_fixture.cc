// A process whose registry holds every kind of family dynobs renders, with known values, served
// by the system status server on 127.0.0.1 and a free port. Prints "PORT <n>" once serving, then
// runs until SIGTERM/SIGINT or stdin closes. Used by metrics_interop_test.py.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "dynobs/http/event_loop.h"
#include "dynobs/metrics/buckets.h"
#include "dynobs/runtime/distributed_runtime.h"
#include "dynobs/runtime/system_status_server.h"

namespace {

using dynobs::metrics::LinearBuckets;
using dynobs::metrics::LogBuckets;

template <typename T>
T Must(dynobs::StatusOr<T> v) {
  if (!v.ok()) {
    std::fprintf(stderr, "fixture: %s\n", v.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*v);
}

void Populate(dynobs::runtime::DistributedRuntime& drt) {
  auto ns = drt.GetNamespace("dynamo");
  auto backend = ns->GetComponent("backend");
  auto generate = backend->NewEndpoint("generate");
  const auto& ep = generate->metrics();
  Must(ep.CreateIntCounter({.name = "requests_total",
                            .help = "Total number of requests processed by work handler"}))
      .Inc(42);
  Must(ep.CreateIntGauge({.name = "inflight_requests",
                          .help = "Number of requests currently being processed by work handler"}))
      .Set(3);
  Must(ep.CreateIntCounter({.name = "request_bytes_total", .help = "Total request bytes"}))
      .Inc(4096);
  auto duration = Must(ep.CreateHistogram({.name = "request_duration_seconds",
                                           .help = "Time spent processing requests by work handler",
                                           .buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                       2.5, 5, 10, 20, 30, 60, 120, 300, 600}}));
  for (double v : {0.003, 0.02, 0.2, 1.5, 45.0}) duration.Observe(v);
  auto errors =
      Must(ep.CreateIntCounterVec({.name = "errors_total",
                                   .help = "Total number of errors in work handler processing",
                                   .label_names = {"error_type"}}));
  Must(errors.WithLabelValues({"generate"})).Inc(2);
  Must(errors.WithLabelValues({"publish_response"})).Inc(1);

  // Component-level router metrics with a const label and Dynamo's linear kv-hit-rate buckets.
  auto hit = Must(
      backend->metrics().CreateHistogram({.name = "router_kv_hit_rate",
                                          .help = "Predicted KV cache hit rate at routing time",
                                          .const_labels = {{"router_id", "7"}},
                                          .buckets = *LinearBuckets(0, 0.05, 21)}));
  for (double v : {0.0, 0.15, 0.5, 0.97}) hit.Observe(v);

  // A frontend-style registry: raw names, variable labels with values that need escaping, the
  // TTFT log buckets, a float gauge and a histogram with known quantiles.
  auto frontend = std::make_shared<dynobs::metrics::Registry>();
  drt.metrics().registry()->AddChild(frontend);
  auto requests = Must(frontend->CreateIntCounterVec(
      {.name = "dynamo_frontend_requests_total",
       .help = "Total number of LLM requests processed",
       .label_names = {"model", "endpoint", "request_type", "status", "error_type"}}));
  Must(requests.WithLabelValues({"qwen/qwen3-0.6b", "chat_completions", "stream", "success", ""}))
      .Inc(10);
  Must(requests.WithLabelValues(
           {"odd \"model\" \\ name\nx", "completions", "unary", "error", "validation"}))
      .Inc(1);
  auto ttft =
      Must(frontend->CreateHistogramVec({.name = "dynamo_frontend_time_to_first_token_seconds",
                                         .help = "Time to first token",
                                         .label_names = {"model"},
                                         .buckets = LogBuckets({0.001, 480, 18})}));
  for (double v : {0.004, 0.03, 0.03, 0.2, 1.2})
    Must(ttft.WithLabelValues({"qwen/qwen3-0.6b"})).Observe(v);
  Must(frontend->CreateGauge(
           {.name = "dynamo_frontend_gpu_cache_usage_ratio", .help = "A float gauge"}))
      .Set(0.15000000000000002);
  // Known quantiles: 25 observations in each of (0,1], (1,2], (2,3], (3,4]; the 0.5 quantile is 2
  // and the 0.9 quantile 3.6 under Prometheus's linear interpolation.
  auto known = Must(frontend->CreateHistogram({.name = "dynobs_fixture_latency_seconds",
                                               .help = "Histogram with known quantiles",
                                               .buckets = {1, 2, 3, 4}}));
  for (int i = 0; i < 25; ++i) {
    for (double v : {0.5, 1.5, 2.5, 3.5}) known.Observe(v);
  }
  Must(frontend->CreateCounter({.name = "dynobs_fixture_float_total", .help = "A float counter"}))
      .Inc(2.5);
}

}  // namespace

int main() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto drt = Must(dynobs::runtime::DistributedRuntime::Create(
      {.instance_id = 0x694d98147d54be25ULL,
       .starting_status = dynobs::health::HealthStatus::kReady}));
  Populate(*drt);
  dynobs::http::EventLoop loop(2);
  loop.Start();
  dynobs::runtime::SystemStatusServer server(loop, drt, {.host = "127.0.0.1", .port = 0});
  if (auto s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "fixture: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("PORT %u\n", server.port());
  std::fflush(stdout);
  // Exit on a signal, or when the parent goes away (stdin closes).
  std::thread([] {
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0) {
    }
    kill(getpid(), SIGTERM);
  }).detach();
  int sig = 0;
  sigwait(&set, &sig);
  server.Stop(std::chrono::milliseconds(1000));
  loop.Stop();
  return 0;
}
