// Request-plane throughput on loopback, caller and worker in one process on one event loop
// (2 threads), with a zero-delay handler that streams its items at once:
//   BM_StreamedItems/streams/items/obs   items per second through the plane
//   BM_Requests16/concurrency/obs        requests per second of 16-item streams
// obs = 1: the worker's observability on (work-handler metrics, handle_payload span handed to a
// span processor, request received/completed logs at INFO written to /dev/null); obs = 0: off
// (RequestPlaneServerOptions::observability). DYN_LOG / DYN_LOGGING_JSONL set the log format
// and filter as in a worker. The cost of observability is the ratio of the two
// medians (docs/request-plane.md, Performance).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "dynobs/common/env.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/logging/log.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/runtime/request_plane/server.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::runtime {
namespace {

// What an OTLP batch processor does on the request path: take the span (the export happens on
// its own thread, outside this measurement).
class DiscardingProcessor : public tracing::SpanProcessor {
 public:
  void OnEnd(tracing::SpanData&& span) override { benchmark::DoNotOptimize(span.span_id); }
  bool ForceFlush(int64_t) override { return true; }
  void Shutdown(int64_t) override {}
};

void SetUpProcess() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DYN_LOG, DYN_LOGGING_JSONL... apply as in a worker (default: readable, INFO).
    auto loaded = logging::LoadLoggingConfig(env::Reader(env::ProcessSource()));
    logging::LoggingConfig config = loaded.ok() ? *loaded : logging::LoggingConfig();
    config.fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    config.install_signal_handlers = false;
    logging::InitLogging(config);
    static DiscardingProcessor processor;
    tracing::TracerProvider::Configure({.processor = &processor, .service_name = "bench"});
  });
}

// CPU time of the whole process (all threads), in seconds: what the plane costs, less
// sensitive than wall time to other processes on the machine.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

const std::string& Token() {
  static const std::string token = R"({"token_ids":[1734],"text":" hello","index":0})";
  return token;
}

// A worker and a caller on one event loop.
class Plane {
 public:
  explicit Plane(bool observability) : loop_(2) {
    SetUpProcess();
    loop_.Start();
    RequestPlaneServerOptions options;
    options.observability = observability;
    server_ = std::make_unique<RequestPlaneServer>(loop_, options);
    auto runtime = metrics::MetricsScope::ForRuntime(0xbe7c);
    scope_ = runtime->NewNamespace("dynamo")->NewComponent("backend")->NewEndpoint("generate");
    auto handler = [](const IncomingRequest& request,
                      const std::shared_ptr<ResponseStream>& stream) {
      const int count = std::stoi(request.body);
      for (int i = 0; i < count; ++i) stream->Send(Token());
      stream->Finish();
    };
    if (!server_->AddEndpoint("generate", handler, *scope_).ok() || !server_->Start().ok()) {
      std::abort();
    }
    auto metrics = RequestPlaneMetrics::Create(std::make_shared<metrics::Registry>());
    client_ =
        std::make_unique<RequestPlaneClient>(loop_, RequestPlaneClientOptions{.metrics = *metrics});
  }
  ~Plane() {
    client_.reset();
    server_->Stop();
    loop_.Stop();
  }

  // Runs `total` streams of `items` each, `concurrency` at a time (closed loop: each end starts
  // the next). Returns the items received; -1 if a stream failed.
  int64_t Run(int concurrency, int total, int items) {
    State state{total, std::to_string(items)};
    for (int i = 0; i < concurrency; ++i) Start(state);
    int64_t left = state.remaining.load();
    while (left > 0) {
      state.remaining.wait(left);
      left = state.remaining.load();
    }
    std::lock_guard lock(state.mu);  // the last on_end may still be returning
    return state.failed ? -1 : state.items.load();
  }

 private:
  struct State {
    State(int total, std::string b) : to_start(total), body(std::move(b)), remaining(total) {}
    std::mutex mu;  // to_start, handles
    int to_start;
    std::vector<std::unique_ptr<StreamHandle>> handles;  // kept until Run() returns
    std::string body;
    std::atomic<int64_t> remaining;
    std::atomic<int64_t> items{0};
    std::atomic<bool> failed{false};
  };

  // Starts the next stream, if any is left; its end starts the one after.
  void Start(State& state) {
    {
      std::lock_guard lock(state.mu);
      if (state.to_start == 0) return;
      --state.to_start;
    }
    RequestHeaders headers = {{"request-id", "0b5e3f46-8c3c-4bd2-9b4e-4f4a0d7f3a11"}};
    StreamCallbacks callbacks{
        .on_item =
            [&state](const std::string&) { state.items.fetch_add(1, std::memory_order_relaxed); },
        .on_end =
            [this, &state](const Status& end) {
              if (!end.ok() && !state.failed.exchange(true)) {
                std::fprintf(stderr, "stream failed: %s\n", end.ToString().c_str());
              }
              Start(state);
              std::lock_guard lock(state.mu);
              if (state.remaining.fetch_sub(1) == 1) state.remaining.notify_all();
            }};
    auto handle = client_->Generate(server_->address(), "generate", std::move(headers), state.body,
                                    std::move(callbacks));
    std::lock_guard lock(state.mu);
    state.handles.push_back(std::move(handle));
  }

  http::EventLoop loop_;
  std::shared_ptr<metrics::MetricsScope> scope_;
  std::unique_ptr<RequestPlaneServer> server_;
  std::unique_ptr<RequestPlaneClient> client_;
};

void BM_StreamedItems(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const int items = static_cast<int>(state.range(1));
  Plane plane(state.range(2) != 0);
  int64_t received = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    int64_t n = plane.Run(streams, streams, items);
    if (n < 0) {
      state.SkipWithError("a stream failed");
      return;
    }
    received += n;
  }
  state.counters["items_per_second"] =
      benchmark::Counter(static_cast<double>(received), benchmark::Counter::kIsRate);
  state.counters["cpu_ns_per_item"] =
      (ProcessCpuSeconds() - cpu_start) * 1e9 / static_cast<double>(received);
}
BENCHMARK(BM_StreamedItems)
    ->ArgNames({"streams", "items", "obs"})
    ->Args({1, 10000, 1})
    ->Args({1, 10000, 0})
    ->Args({64, 1000, 1})
    ->Args({64, 1000, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Requests16(benchmark::State& state) {
  const int concurrency = static_cast<int>(state.range(0));
  constexpr int kPerIteration = 2000;
  Plane plane(state.range(1) != 0);
  int64_t requests = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    if (plane.Run(concurrency, kPerIteration, 16) < 0) {
      state.SkipWithError("a stream failed");
      return;
    }
    requests += kPerIteration;
  }
  state.counters["requests_per_second"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["items_per_second"] =
      benchmark::Counter(static_cast<double>(requests * 16), benchmark::Counter::kIsRate);
  state.counters["cpu_us_per_request"] =
      (ProcessCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(requests);
}
BENCHMARK(BM_Requests16)
    ->ArgNames({"concurrency", "obs"})
    ->Args({64, 1})
    ->Args({64, 0})
    ->Args({1, 1})
    ->Args({1, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dynobs::runtime

BENCHMARK_MAIN();
