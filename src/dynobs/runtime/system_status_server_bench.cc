// /health latency of the system status server while another client scrapes /metrics (100,000
// series) in a loop, against the same probe on an idle server. Each probe is a new connection, as
// a kubelet makes.
// Run: make bench (BENCH_FILTER=Health) or build/release/bin/status_server_bench.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dynobs/http/testing/test_client.h"
#include "dynobs/runtime/system_status_server.h"

namespace dynobs::runtime {
namespace {

void FillSeries(DistributedRuntime& drt, int n) {
  auto vec = *drt.metrics().CreateCounterVec({.name = "bench_requests_total",
                                              .help = "h",
                                              .label_names = {"model", "endpoint", "instance"},
                                              .max_series = static_cast<size_t>(n) + 1});
  for (int i = 0; i < n; ++i) {
    std::string model = "llama-3-70b-instruct-" + std::to_string(i % 10);
    std::string instance = "instance-" + std::to_string(i);
    (*vec.WithLabelValues({model, i % 2 ? "chat_completions" : "completions", instance})).Inc();
  }
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

void MeasureHealth(benchmark::State& state, int series, bool scrape_loop) {
  auto drt = *DistributedRuntime::Create({.starting_status = health::HealthStatus::kReady});
  FillSeries(*drt, series);
  http::EventLoop loop(2);
  loop.Start();
  SystemStatusServer server(loop, drt, {.host = "127.0.0.1", .port = 0});
  if (!server.Start().ok()) {
    state.SkipWithError("cannot start server");
    return;
  }
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0};
  size_t body_bytes = 0;
  std::thread scraper([&] {
    while (scrape_loop && !stop.load()) {
      auto r = http::testing::Get(server.port(), "/metrics");
      if (r && r->status == 200) {
        body_bytes = r->body.size();
        scrapes++;
      }
    }
  });
  if (scrape_loop) http::testing::WaitFor([&] { return scrapes.load() > 0; });
  // Probe until at least 20 scrapes went by (and at least 2000 probes), so that the probes
  // overlap rendering, gzip-free transfer and everything else a scrape does.
  std::vector<double> latencies_ms;
  for (auto _ : state) {
    for (int i = 0; i < 2000 || (scrape_loop && scrapes.load() < 20); ++i) {
      auto start = std::chrono::steady_clock::now();
      auto r = http::testing::Get(server.port(), "/health");
      auto end = std::chrono::steady_clock::now();
      if (!r || r->status != 200) state.SkipWithError("health probe failed");
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
  }
  stop = true;
  scraper.join();
  server.Stop(std::chrono::milliseconds(1000));
  state.counters["p50_ms"] = Percentile(latencies_ms, 0.50);
  state.counters["p99_ms"] = Percentile(latencies_ms, 0.99);
  state.counters["max_ms"] = Percentile(latencies_ms, 1.0);
  state.counters["scrapes"] = scrapes.load();
  state.counters["scrape_bytes"] = static_cast<double>(body_bytes);
}

void BM_HealthWhileScraping100k(benchmark::State& state) { MeasureHealth(state, 100000, true); }
BENCHMARK(BM_HealthWhileScraping100k)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_HealthIdle(benchmark::State& state) { MeasureHealth(state, 100000, false); }
BENCHMARK(BM_HealthIdle)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dynobs::runtime

BENCHMARK_MAIN();
