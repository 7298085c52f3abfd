// Record-path and scrape benchmarks for the metrics core, each beside the naive baseline
// (naive_baseline.h) so that every figure comes with its ratio from the same run.
// Run: make bench (or build/release/bin/metrics_bench --benchmark_repetitions=9).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "dynobs/common/gzip.h"
#include "dynobs/metrics/buckets.h"
#include "dynobs/metrics/exposition.h"
#include "dynobs/metrics/naive_baseline.h"
#include "dynobs/metrics/registry.h"

// Allocation counting for the scrape benchmarks (per thread, no atomics). GCC cannot see that
// the replaced operator new pairs with this operator delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
thread_local uint64_t t_allocations = 0;
}  // namespace
void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace dynobs::metrics {
namespace {

using bench::NaiveFamily;

std::vector<double> ObservedValues() {
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> exp10(-3.3, 3);
  std::vector<double> v(1024);
  for (double& x : v) x = std::pow(10.0, exp10(gen));
  return v;
}

const std::vector<double>& Bounds18() {
  static const std::vector<double> b = LogBuckets({0.001, 480, 18});
  return b;
}

// ---- counter increment -------------------------------------------------------------------

void BM_CounterInc_Dynobs(benchmark::State& state) {
  static Registry registry;
  static Counter counter = *registry.CreateCounter({.name = "c_total", .help = "h"});
  for (auto _ : state) counter.Inc();
}
BENCHMARK(BM_CounterInc_Dynobs)->Threads(1)->Threads(2)->UseRealTime();

void BM_CounterInc_Naive(benchmark::State& state) {
  static NaiveFamily family("c_total", {}, false);
  static NaiveFamily::Handle handle = family.WithLabelValues({});
  for (auto _ : state) handle.Inc();
}
BENCHMARK(BM_CounterInc_Naive)->Threads(1)->Threads(2)->UseRealTime();

// ---- histogram observe (18 bounds) --------------------------------------------------------

void BM_HistogramObserve_Dynobs(benchmark::State& state) {
  static Registry registry;
  static Histogram h =
      *registry.CreateHistogram({.name = "h_seconds", .help = "h", .buckets = Bounds18()});
  const std::vector<double> values = ObservedValues();
  size_t i = 0;
  for (auto _ : state) h.Observe(values[i++ & 1023]);
}
BENCHMARK(BM_HistogramObserve_Dynobs)->Threads(1)->Threads(2)->UseRealTime();

void BM_HistogramObserve_Naive(benchmark::State& state) {
  static NaiveFamily family("h_seconds", {}, true, Bounds18());
  static NaiveFamily::Handle handle = family.WithLabelValues({});
  const std::vector<double> values = ObservedValues();
  size_t i = 0;
  for (auto _ : state) handle.Observe(values[i++ & 1023]);
}
BENCHMARK(BM_HistogramObserve_Naive)->Threads(1)->Threads(2)->UseRealTime();

// ---- lookup of an existing series by three label values -----------------------------------

struct LabelTuples {
  std::vector<std::string> storage;
  std::vector<std::vector<std::string_view>> tuples;
  explicit LabelTuples(int n) {
    storage.reserve(static_cast<size_t>(n) * 3);
    for (int i = 0; i < n; ++i) {
      storage.push_back("llama-3-70b-instruct-" + std::to_string(i % 10));
      storage.emplace_back(i % 2 ? "chat_completions" : "completions");
      storage.push_back("instance-" + std::to_string(i));
    }
    for (int i = 0; i < n; ++i) {
      tuples.push_back({storage[3 * i], storage[3 * i + 1], storage[3 * i + 2]});
    }
  }
};

void BM_Lookup3Labels_Dynobs(benchmark::State& state) {
  Registry registry;
  auto vec = *registry.CreateCounterVec(
      {.name = "l_total", .help = "h", .label_names = {"model", "endpoint", "instance"}});
  LabelTuples labels(1000);
  for (const auto& t : labels.tuples) benchmark::DoNotOptimize(vec.WithLabelValues(t));
  size_t i = 0;
  for (auto _ : state) {
    auto c = vec.WithLabelValues(labels.tuples[i++ % 1000]);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_Lookup3Labels_Dynobs);

void BM_Lookup3Labels_Naive(benchmark::State& state) {
  NaiveFamily family("l_total", {"model", "endpoint", "instance"}, false);
  LabelTuples labels(1000);
  for (const auto& t : labels.tuples) family.WithLabelValues(t);
  size_t i = 0;
  for (auto _ : state) {
    auto h = family.WithLabelValues(labels.tuples[i++ % 1000]);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_Lookup3Labels_Naive);

// ---- scrape render -----------------------------------------------------------------------

void ReportScrape(benchmark::State& state, size_t bytes, uint64_t allocations) {
  state.counters["bytes_per_scrape"] = static_cast<double>(bytes);
  state.counters["allocs_per_scrape"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
}

void BM_Scrape100kCounters_Dynobs(benchmark::State& state) {
  Registry registry;
  auto vec = *registry.CreateCounterVec({.name = "dynamo_frontend_requests_total",
                                         .help = "h",
                                         .label_names = {"model", "endpoint", "instance"},
                                         .max_series = 200000});
  LabelTuples labels(100000);
  for (const auto& t : labels.tuples) vec.WithLabelValues(t)->Inc(3);
  Scraper scraper;
  size_t bytes = scraper.Scrape(registry, ExpositionFormat::kPrometheusText).body.size();
  uint64_t before = t_allocations;
  for (auto _ : state) {
    auto e = scraper.Scrape(registry, ExpositionFormat::kPrometheusText);
    benchmark::DoNotOptimize(e.body.data());
  }
  ReportScrape(state, bytes, t_allocations - before);
}
BENCHMARK(BM_Scrape100kCounters_Dynobs)->Unit(benchmark::kMillisecond);

void BM_Scrape100kCounters_Naive(benchmark::State& state) {
  NaiveFamily family("dynamo_frontend_requests_total", {"model", "endpoint", "instance"}, false);
  LabelTuples labels(100000);
  for (const auto& t : labels.tuples) family.WithLabelValues(t).Inc(3);
  std::string out;
  family.Render(&out);
  size_t bytes = out.size();
  uint64_t before = t_allocations;
  for (auto _ : state) {
    family.Render(&out);
    benchmark::DoNotOptimize(out.data());
  }
  ReportScrape(state, bytes, t_allocations - before);
}
BENCHMARK(BM_Scrape100kCounters_Naive)->Unit(benchmark::kMillisecond);

void BM_Scrape1kHistograms_Dynobs(benchmark::State& state) {
  Registry registry;
  auto vec = *registry.CreateHistogramVec({.name = "dynamo_frontend_ttft_seconds",
                                           .help = "h",
                                           .label_names = {"model", "endpoint", "instance"},
                                           .buckets = Bounds18()});
  LabelTuples labels(1000);
  const std::vector<double> values = ObservedValues();
  for (size_t i = 0; i < labels.tuples.size(); ++i) {
    vec.WithLabelValues(labels.tuples[i])->Observe(values[i % 1024]);
  }
  Scraper scraper;
  size_t bytes = scraper.Scrape(registry, ExpositionFormat::kPrometheusText).body.size();
  uint64_t before = t_allocations;
  for (auto _ : state) {
    auto e = scraper.Scrape(registry, ExpositionFormat::kPrometheusText);
    benchmark::DoNotOptimize(e.body.data());
  }
  ReportScrape(state, bytes, t_allocations - before);
}
BENCHMARK(BM_Scrape1kHistograms_Dynobs)->Unit(benchmark::kMillisecond);

void BM_Scrape1kHistograms_Naive(benchmark::State& state) {
  NaiveFamily family("dynamo_frontend_ttft_seconds", {"model", "endpoint", "instance"}, true,
                     Bounds18());
  LabelTuples labels(1000);
  const std::vector<double> values = ObservedValues();
  for (size_t i = 0; i < labels.tuples.size(); ++i) {
    family.WithLabelValues(labels.tuples[i]).Observe(values[i % 1024]);
  }
  std::string out;
  family.Render(&out);
  size_t bytes = out.size();
  uint64_t before = t_allocations;
  for (auto _ : state) {
    family.Render(&out);
    benchmark::DoNotOptimize(out.data());
  }
  ReportScrape(state, bytes, t_allocations - before);
}
BENCHMARK(BM_Scrape1kHistograms_Naive)->Unit(benchmark::kMillisecond);

// gzip of the 100k-series body at level 1: what a scrape costs when Prometheus asks for gzip.
void BM_Gzip100kCounters(benchmark::State& state) {
  Registry registry;
  auto vec = *registry.CreateCounterVec({.name = "dynamo_frontend_requests_total",
                                         .help = "h",
                                         .label_names = {"model", "endpoint", "instance"},
                                         .max_series = 200000});
  LabelTuples labels(100000);
  for (const auto& t : labels.tuples) vec.WithLabelValues(t)->Inc(3);
  std::string body = ScrapeText(registry);
  size_t compressed = 0;
  for (auto _ : state) {
    auto z = GzipCompress(body);
    compressed = z->size();
    benchmark::DoNotOptimize(z->data());
  }
  state.counters["bytes_in"] = static_cast<double>(body.size());
  state.counters["bytes_out"] = static_cast<double>(compressed);
}
BENCHMARK(BM_Gzip100kCounters)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dynobs::metrics

BENCHMARK_MAIN();
