// Span start + end: dynobs spans against a naive baseline in the same binary.
//
//   build/release/bin/tracing_bench --benchmark_repetitions=9
//       --benchmark_report_aggregates_only=true
//
// The processor is a counting no-op, so what is measured is the span itself: ids, the filter
// and sampler decisions, the clock, attributes and the SpanData handed over. Targets (issue 3):
// sampled with no attributes <= 100 ns, with 5 <= 200 ns, unsampled <= 30 ns.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "dynobs/tracing/span.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::tracing {
namespace {

constinit SpanSite kSite("http-request", "request_span", logging::Level::kInfo);
constinit SpanSite kChildSite("handle_payload", "request_span", logging::Level::kInfo);

class CountingProcessor : public SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override {
    ++count;
    benchmark::DoNotOptimize(span.span_id);
  }
  bool ForceFlush(int64_t /*timeout_ms*/) override { return true; }
  void Shutdown(int64_t /*timeout_ms*/) override {}
  static thread_local uint64_t count;
};
thread_local uint64_t CountingProcessor::count = 0;

CountingProcessor& Processor() {
  static CountingProcessor processor;
  return processor;
}

void Configure(const Sampler& sampler) {
  TracerProvider::Configure(
      TracerOptions{.sampler = sampler, .processor = &Processor(), .service_name = "bench"});
}

void SetFiveAttributes(Span& span) {
  span.SetAttribute("method", "POST");
  span.SetAttribute("uri", "/v1/chat/completions");
  span.SetAttribute("version", "HTTP/1.1");
  span.SetAttribute("input_tokens", 128);
  span.SetAttribute("stream", true);
}

void BM_SpanSampled(benchmark::State& state) {
  Configure(Sampler::AlwaysOn());
  for (auto _ : state) {
    Span span(kSite);
    benchmark::DoNotOptimize(span.context());
  }
  state.counters["exported"] = static_cast<double>(CountingProcessor::count);
}
BENCHMARK(BM_SpanSampled)->ThreadRange(1, 2);

void BM_SpanSampled5Attributes(benchmark::State& state) {
  Configure(Sampler::AlwaysOn());
  for (auto _ : state) {
    Span span(kSite);
    SetFiveAttributes(span);
  }
}
BENCHMARK(BM_SpanSampled5Attributes)->ThreadRange(1, 2);

void BM_SpanUnsampled(benchmark::State& state) {
  Configure(Sampler::AlwaysOff());
  for (auto _ : state) {
    Span span(kSite);
    benchmark::DoNotOptimize(span.context());
  }
}
BENCHMARK(BM_SpanUnsampled)->ThreadRange(1, 2);

void BM_SpanUnsampled5Attributes(benchmark::State& state) {
  Configure(Sampler::AlwaysOff());
  for (auto _ : state) {
    Span span(kSite);
    SetFiveAttributes(span);
  }
}
BENCHMARK(BM_SpanUnsampled5Attributes);

// A child of a request span that carries a tracestate and request ids (shared, not copied).
void BM_SpanSampledChildInScope(benchmark::State& state) {
  Configure(Sampler::AlwaysOn());
  Span parent(kSite, SpanContext().WithRequestIds("client-request-42",
                                                  "8372eac7-5f43-4d76-beca-0a94cfb311d0"));
  SpanScope scope(parent);
  for (auto _ : state) {
    Span child(kChildSite);
    SpanScope child_scope(child);
  }
}
BENCHMARK(BM_SpanSampledChildInScope);

// The naive baseline: what a straightforward implementation does. Spans are shared_ptr objects
// with hex string ids from a mutex-free mt19937_64, std::map<string, string> attributes,
// std::chrono timestamps, and a processor that copies them into a mutex-protected vector.
struct NaiveSpan {
  std::string trace_id;
  std::string span_id;
  std::string name;
  std::map<std::string, std::string> attributes;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
};

class NaiveProcessor {
 public:
  void OnEnd(const NaiveSpan& span) {
    std::lock_guard lock(mu_);
    spans_.push_back(span);
    if (spans_.size() == 4096) spans_.clear();  // bounded memory; amortized cost stays in
  }

 private:
  std::mutex mu_;
  std::vector<NaiveSpan> spans_;
};

std::string NaiveHex(std::mt19937_64& gen, int words) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int w = 0; w < words; ++w) {
    uint64_t v = gen();
    for (int i = 0; i < 16; ++i, v >>= 4) out.push_back(kHex[v & 0xf]);
  }
  return out;
}

std::shared_ptr<NaiveSpan> NaiveStart(std::string name) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  auto span = std::make_shared<NaiveSpan>();
  span->trace_id = NaiveHex(gen, 2);
  span->span_id = NaiveHex(gen, 1);
  span->name = std::move(name);
  span->start = std::chrono::system_clock::now();
  return span;
}

void NaiveEnd(NaiveProcessor& processor, const std::shared_ptr<NaiveSpan>& span) {
  span->end = std::chrono::system_clock::now();
  processor.OnEnd(*span);
}

NaiveProcessor& Naive() {
  static NaiveProcessor processor;
  return processor;
}

void BM_NaiveSpan(benchmark::State& state) {
  for (auto _ : state) {
    auto span = NaiveStart("http-request");
    NaiveEnd(Naive(), span);
  }
}
BENCHMARK(BM_NaiveSpan)->ThreadRange(1, 2);

void BM_NaiveSpan5Attributes(benchmark::State& state) {
  for (auto _ : state) {
    auto span = NaiveStart("http-request");
    span->attributes["method"] = "POST";
    span->attributes["uri"] = "/v1/chat/completions";
    span->attributes["version"] = "HTTP/1.1";
    span->attributes["input_tokens"] = std::to_string(128);
    span->attributes["stream"] = "true";
    NaiveEnd(Naive(), span);
  }
}
BENCHMARK(BM_NaiveSpan5Attributes)->ThreadRange(1, 2);

// What two clock reads cost here: the floor under a sampled span.
void BM_TwoWallClockReads(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::chrono::system_clock::now());
    benchmark::DoNotOptimize(std::chrono::system_clock::now());
  }
}
BENCHMARK(BM_TwoWallClockReads);

}  // namespace
}  // namespace dynobs::tracing

BENCHMARK_MAIN();
