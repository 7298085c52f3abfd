// OTLP export benchmarks:
//   - encoding throughput on one thread (protobuf and OTLP/JSON) of realistic spans (6
//     attributes, a parent, an event) and log records (6 fields, inside a span);
//   - the cost of SpanProcessor::OnEnd, p50 and p99 per call, with a no-op processor (the
//     baseline), export on with a healthy collector, and export on with the collector down
//     (one that never answers, one that refuses connections), all in the same run.
// Run: make bench, or
//   build/release/bin/otlp_bench --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "dynobs/tracing/otlp/diagnostics.h"
#include "dynobs/tracing/otlp/encoder.h"
#include "dynobs/tracing/otlp/http_transport.h"
#include "dynobs/tracing/otlp/span_processor.h"
#include "dynobs/tracing/otlp/testing/fake_transport.h"

namespace dynobs::otlp {
namespace {

using tracing::AttributeValue;
using tracing::SpanData;

const Resource& TestResource() {
  static const Resource r{{{"service.name", "dynamo-frontend"}}};
  return r;
}

SpanData RealisticSpan(uint64_t n) {
  SpanData s;
  for (int i = 0; i < 16; ++i) s.trace_id.bytes[i] = static_cast<uint8_t>(n * 31 + i + 1);
  for (int i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<uint8_t>(n * 17 + i + 1);
  s.parent_span_id.bytes = {1, 2, 3, 4, 5, 6, 7, 8};
  s.trace_flags = 1;
  s.name = "http-request";
  s.kind = tracing::SpanKind::kServer;
  s.start_unix_nanos = 1'764'000'000'000'000'000 + static_cast<int64_t>(n);
  s.end_unix_nanos = s.start_unix_nanos + 25'000'000;
  s.attributes = {{"method", {.s = "POST"}},
                  {"uri", {.s = "/v1/chat/completions"}},
                  {"version", {.s = "HTTP/1.1"}},
                  {"request_id", {.s = "6f1f3c5e-4b7c-4e8e-9f00-1a2b3c4d5e6f"}},
                  {"input_tokens", {.kind = AttributeValue::Kind::kInt, .i = 1024}},
                  {"model", {.s = "meta-llama/Llama-3.1-8B-Instruct"}}};
  s.events.push_back({"first_token",
                      s.start_unix_nanos + 12'000'000,
                      {{"ttft_ms", {.kind = AttributeValue::Kind::kDouble, .d = 12.0}}}});
  return s;
}

std::vector<SpanData> Spans(size_t n) {
  std::vector<SpanData> v;
  for (size_t i = 0; i < n; ++i) v.push_back(RealisticSpan(i));
  return v;
}

// ---- encoding throughput (one thread) ----------------------------------------------------

void BM_EncodeSpans_Protobuf(benchmark::State& state) {
  TraceEncoder encoder(TestResource(), "dynamo-frontend");
  auto spans = Spans(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encoder.EncodeProto(spans, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / spans.size();
}
BENCHMARK(BM_EncodeSpans_Protobuf);

void BM_EncodeSpans_Json(benchmark::State& state) {
  TraceEncoder encoder(TestResource(), "dynamo-frontend");
  auto spans = Spans(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    encoder.EncodeJson(spans, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / spans.size();
}
BENCHMARK(BM_EncodeSpans_Json);

std::vector<LogData> Logs(size_t n) {
  static const logging::Field fields[] = {{"status", "success"}, {"latency_ms", int64_t{25}},
                                          {"model", "llama"},    {"stream", true},
                                          {"ratio", 0.5},        {"tokens", uint64_t{128}}};
  logging::SpanInfo span;
  span.trace_id[0] = 1;
  span.span_id[0] = 2;
  std::vector<LogData> v;
  for (size_t i = 0; i < n; ++i) {
    logging::LogRecord r{.time_unix_nanos = 1'764'000'000'000'000'000 + static_cast<int64_t>(i),
                         .target = i % 2 ? "dynobs::llm::frontend" : "request_span",
                         .file = "src/dynobs/llm/frontend.cc",
                         .line = 120,
                         .message = "request completed",
                         .fields = fields,
                         .span = &span};
    v.emplace_back(r, r.time_unix_nanos);
  }
  return v;
}

template <bool kJson>
void BM_EncodeLogs(benchmark::State& state) {
  LogEncoder encoder(TestResource());
  auto logs = Logs(512);
  std::string out;
  for (auto _ : state) {
    out.clear();
    if constexpr (kJson) {
      encoder.EncodeJson(logs, &out);
    } else {
      encoder.EncodeProto(logs, &out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * logs.size()));
}
BENCHMARK(BM_EncodeLogs<false>)->Name("BM_EncodeLogs_Protobuf");
BENCHMARK(BM_EncodeLogs<true>)->Name("BM_EncodeLogs_Json");

// ---- OnEnd latency -----------------------------------------------------------------------

// TSC ticks per nanosecond, measured once against the steady clock.
double TicksPerNs() {
  static const double ticks = [] {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t c0 = __rdtsc();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(50)) {
    }
    uint64_t c1 = __rdtsc();
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    return static_cast<double>(c1 - c0) / static_cast<double>(ns);
  }();
  return ticks;
}

class NoopProcessor final : public tracing::SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override { benchmark::DoNotOptimize(&span); }
  bool ForceFlush(int64_t) override { return true; }
  void Shutdown(int64_t) override {}
};

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    addr.sin_port = htons(1);  // nothing listens there either
  }
  close(fd);
  return ntohs(addr.sin_port);
}

enum class Collector { kNoop, kHealthy, kHangs, kRefuses };

std::unique_ptr<tracing::SpanProcessor> MakeProcessor(Collector c) {
  if (c == Collector::kNoop) return std::make_unique<NoopProcessor>();
  std::unique_ptr<Transport> transport;
  if (c == Collector::kRefuses) {
    SignalConfig config;
    config.protocol = Protocol::kHttpProtobuf;
    config.endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v1/traces";
    transport = std::move(*HttpTransport::Create(config));
  } else {
    auto fake = std::make_unique<testing::FakeTransport>();
    fake->KeepBodies(false);
    fake->Stall(c == Collector::kHangs);
    transport = std::move(fake);
  }
  BatchConfig batch;  // the defaults: queue 2048, batch 512, 5 s, 30 s
  return std::make_unique<BatchSpanProcessor>(
      batch, Protocol::kHttpProtobuf, TraceEncoder(TestResource(), "dynamo-frontend"),
      std::make_unique<Exporter>(Signal::kTraces, std::move(transport), RetryPolicy{}, "bench"));
}

// Each iteration builds a realistic span (not timed) and times OnEnd alone with the TSC; p50,
// p99 and the mean of those per-call times are the counters that matter (ns, TSC read cost
// included; this VM's TSC reads advance in steps of about 10 ns, so p50/p99 are quantized and
// the mean is the finer figure). range(0) paces the caller to that many spans per second (0:
// as fast as it can, which overloads any exporter and makes most OnEnd calls drops).
void BM_OnEnd(benchmark::State& state, Collector collector) {
  SetDiagnosticSink([](Severity, std::string_view, std::initializer_list<DiagnosticField>) {});
  auto processor = MakeProcessor(collector);
  const int64_t pace_ns = state.range(0) > 0 ? 1'000'000'000 / state.range(0) : 0;
  auto next = std::chrono::steady_clock::now();
  uint64_t total_ticks = 0;
  const SignalMetrics& m = ExportMetrics(Signal::kTraces);
  uint64_t dropped = m.dropped_queue_full.Value();
  double ticks_per_ns = TicksPerNs();
  std::vector<uint32_t> ticks;
  ticks.reserve(1 << 22);
  uint64_t n = 0;
  for (auto _ : state) {
    SpanData span = RealisticSpan(n++);
    if (pace_ns > 0) {
      next += std::chrono::nanoseconds(pace_ns);
      while (std::chrono::steady_clock::now() < next) {
      }
    }
    uint64_t t0 = __rdtsc();
    processor->OnEnd(std::move(span));
    uint64_t t1 = __rdtsc();
    total_ticks += t1 - t0;
    if (ticks.size() < ticks.capacity()) ticks.push_back(static_cast<uint32_t>(t1 - t0));
  }
  state.counters["dropped_pct"] =
      100.0 * static_cast<double>(m.dropped_queue_full.Value() - dropped) / static_cast<double>(n);
  processor->Shutdown(0);
  std::sort(ticks.begin(), ticks.end());
  auto quantile = [&](double q) {
    return ticks.empty() ? 0.0 : ticks[static_cast<size_t>(q * (ticks.size() - 1))] / ticks_per_ns;
  };
  state.counters["p50_ns"] = quantile(0.50);
  state.counters["p99_ns"] = quantile(0.99);
  state.counters["p999_ns"] = quantile(0.999);
  state.counters["mean_ns"] = static_cast<double>(total_ticks) / ticks_per_ns / n;
}
// 200,000 spans/s: a busy frontend's rate, well within what the exporter drains.
BENCHMARK_CAPTURE(BM_OnEnd, noop_processor, Collector::kNoop)->Arg(200'000)->Iterations(600'000);
BENCHMARK_CAPTURE(BM_OnEnd, healthy_collector, Collector::kHealthy)
    ->Arg(200'000)
    ->Iterations(600'000);
BENCHMARK_CAPTURE(BM_OnEnd, collector_hangs, Collector::kHangs)->Arg(200'000)->Iterations(600'000);
BENCHMARK_CAPTURE(BM_OnEnd, collector_refuses, Collector::kRefuses)
    ->Arg(200'000)
    ->Iterations(600'000);
// Unpaced: the caller outruns the exporter; the queue is full most of the time.
BENCHMARK_CAPTURE(BM_OnEnd, noop_processor, Collector::kNoop)->Arg(0)->Iterations(2'000'000);
BENCHMARK_CAPTURE(BM_OnEnd, healthy_collector, Collector::kHealthy)->Arg(0)->Iterations(2'000'000);
BENCHMARK_CAPTURE(BM_OnEnd, collector_hangs, Collector::kHangs)->Arg(0)->Iterations(2'000'000);

}  // namespace
}  // namespace dynobs::otlp

BENCHMARK_MAIN();
