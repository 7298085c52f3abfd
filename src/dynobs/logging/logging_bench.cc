// Costs of a log statement on the caller's thread, beside spdlog writing the same JSON line.
// Run: make bench (or build/release/bin/logging_bench --benchmark_repetitions=9
//      --benchmark_report_aggregates_only=true).
//
// Every logger writes to /dev/null, so that the figures are the logging code's own cost on the
// calling thread (dynobs: formatting plus the copy into the async writer's ring; the writer
// thread drains it meanwhile). The 8 fields are mixed: 4 strings, a bool, two integers, a double.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "dynobs/logging/format.h"
#include "dynobs/logging/log.h"

#if defined(DYNOBS_HAVE_SPDLOG)
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#endif

namespace dynobs::logging {
namespace {

constexpr const char* kTarget = "dynobs::bench";

// Logging to /dev/null in the given format, for the whole benchmark binary.
void UseFormat(LogFormat format) {
  static const int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  static LogFormat current = LogFormat::kReadable;
  static bool initialised = false;
  if (initialised && current == format) return;
  LoggingConfig config;
  config.format = format;
  config.fd = dev_null;
  config.buffer_bytes = size_t{64} << 20;  // a burst of millions of lines: room for them all
  config.install_signal_handlers = false;
  InitLogging(config);
  current = format;
  initialised = true;
}

uint64_t DroppedNow() {
  uint64_t n = 0;
  for (Level l : {Level::kError, Level::kWarn, Level::kInfo, Level::kDebug, Level::kTrace}) {
    n += DroppedRecords(l);
  }
  return n;
}

// Records the writer dropped during this benchmark: a benchmark that drops measures the cheaper
// drop path, so its figure does not count.
void ReportDrops(benchmark::State& state, uint64_t before) {
  state.counters["dropped"] = static_cast<double>(DroppedNow() - before);
}

// The JSONL line (about 300 bytes, 70 of them the file path):
// {"time":"…","level":"INFO","file":"…/logging_bench.cc","line":N,"target":"dynobs::bench",
//  "message":"request completed","elapsed_ms":1234,"model":"llama-3-8b","ok":true,
//  "ratio":0.25,"request_id":"r-000042","status":"success","tokens":512,"worker":7}
void BM_Dynobs_Jsonl8Fields(benchmark::State& state) {
  UseFormat(LogFormat::kJsonl);
  int64_t tokens = 512;
  uint64_t dropped = DroppedNow();
  for (auto _ : state) {
    DYNOBS_LOG(kInfo, kTarget, "request completed", {"elapsed_ms", uint64_t{1234}},
               {"model", "llama-3-8b"}, {"ok", true}, {"ratio", 0.25}, {"request_id", "r-000042"},
               {"status", "success"}, {"tokens", tokens}, {"worker", 7});
  }
  ReportDrops(state, dropped);
}
BENCHMARK(BM_Dynobs_Jsonl8Fields)->Threads(1)->Threads(2)->UseRealTime();

// The same record without file and line (what Log() writes for bridged records): about 230
// bytes, the size of the line the issue measured spdlog with.
void BM_Dynobs_Jsonl8Fields_NoFile(benchmark::State& state) {
  UseFormat(LogFormat::kJsonl);
  int64_t tokens = 512;
  uint64_t dropped = DroppedNow();
  for (auto _ : state) {
    const Field fields[] = {{"elapsed_ms", uint64_t{1234}},
                            {"model", "llama-3-8b"},
                            {"ok", true},
                            {"ratio", 0.25},
                            {"request_id", "r-000042"},
                            {"status", "success"},
                            {"tokens", tokens},
                            {"worker", 7}};
    Log(Level::kInfo, kTarget, "request completed", fields);
  }
  ReportDrops(state, dropped);
}
BENCHMARK(BM_Dynobs_Jsonl8Fields_NoFile);

void BM_Dynobs_Readable8Fields(benchmark::State& state) {
  UseFormat(LogFormat::kReadable);
  int64_t tokens = 512;
  uint64_t dropped = DroppedNow();
  for (auto _ : state) {
    DYNOBS_LOG(kInfo, kTarget, "request completed", {"elapsed_ms", uint64_t{1234}},
               {"model", "llama-3-8b"}, {"ok", true}, {"ratio", 0.25}, {"request_id", "r-000042"},
               {"status", "success"}, {"tokens", tokens}, {"worker", 7});
  }
  ReportDrops(state, dropped);
}
BENCHMARK(BM_Dynobs_Readable8Fields);

// Formatting alone, into a reused string (no clock, no writer).
void BM_Dynobs_FormatJsonlOnly(benchmark::State& state) {
  const Field fields[] = {{"elapsed_ms", uint64_t{1234}},
                          {"model", "llama-3-8b"},
                          {"ok", true},
                          {"ratio", 0.25},
                          {"request_id", "r-000042"},
                          {"status", "success"},
                          {"tokens", int64_t{512}},
                          {"worker", 7}};
  LogRecord r;
  r.time_unix_nanos = 1795577069123456789;
  r.target = kTarget;
  r.file = __FILE__;
  r.line = __LINE__;
  r.message = "request completed";
  r.fields = fields;
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendJsonl(r, {}, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_Dynobs_FormatJsonlOnly);

void BM_Dynobs_FilteredOutDebug(benchmark::State& state) {
  UseFormat(LogFormat::kJsonl);
  int64_t tokens = 512;
  for (auto _ : state) {
    DYNOBS_LOG(kDebug, kTarget, "request completed", {"elapsed_ms", uint64_t{1234}},
               {"model", "llama-3-8b"}, {"ok", true}, {"ratio", 0.25}, {"request_id", "r-000042"},
               {"status", "success"}, {"tokens", tokens}, {"worker", 7});
  }
}
BENCHMARK(BM_Dynobs_FilteredOutDebug)->Threads(1)->Threads(2)->UseRealTime();

// What tracing pays to decide whether a span exists, with and without a cached CallSite.
void BM_Dynobs_EnabledLookup(benchmark::State& state) {
  UseFormat(LogFormat::kJsonl);
  std::string_view target = "system_span";
  for (auto _ : state) {
    benchmark::DoNotOptimize(target);
    benchmark::DoNotOptimize(Enabled(Level::kDebug, target));
  }
}
BENCHMARK(BM_Dynobs_EnabledLookup);

void BM_Dynobs_CallSiteEnabled(benchmark::State& state) {
  UseFormat(LogFormat::kJsonl);
  static constinit CallSite site(Level::kInfo, "request_span");
  for (auto _ : state) benchmark::DoNotOptimize(site.Enabled());
}
BENCHMARK(BM_Dynobs_CallSiteEnabled);

#if defined(DYNOBS_HAVE_SPDLOG)
// spdlog builds the same JSON line with its pattern (time, level, logger name) and fmt (the
// message and the 8 fields; spdlog does not escape them, so it does less work than dynobs).
constexpr auto kSpdlogPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","target":"%n",%v})";

template <typename Logger>
void LogSpdlogLine(Logger& logger, int64_t tokens) {
  logger.info(R"("message":"{}","elapsed_ms":{},"model":"{}","ok":{},"ratio":{},)"
              R"("request_id":"{}","status":"{}","tokens":{},"worker":{})",
              "request completed", uint64_t{1234}, "llama-3-8b", true, 0.25, "r-000042", "success",
              tokens, 7);
}

void BM_Spdlog_Sync(benchmark::State& state) {
  static auto logger = [] {
    auto l = spdlog::basic_logger_mt("dynobs::bench", "/dev/null");
    l->set_pattern(kSpdlogPattern, spdlog::pattern_time_type::utc);
    return l;
  }();
  for (auto _ : state) LogSpdlogLine(*logger, 512);
}
BENCHMARK(BM_Spdlog_Sync)->Threads(1)->Threads(2)->UseRealTime();

void BM_Spdlog_Async(benchmark::State& state) {
  static auto logger = [] {
    spdlog::init_thread_pool(8192, 1);
    auto l = spdlog::basic_logger_mt<spdlog::async_factory>("dynobs::bench_async", "/dev/null");
    l->set_pattern(kSpdlogPattern, spdlog::pattern_time_type::utc);
    return l;
  }();
  for (auto _ : state) LogSpdlogLine(*logger, 512);
}
BENCHMARK(BM_Spdlog_Async)->Threads(1)->Threads(2)->UseRealTime();
#endif

}  // namespace
}  // namespace dynobs::logging

BENCHMARK_MAIN();
