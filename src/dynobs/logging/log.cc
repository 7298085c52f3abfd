#include "dynobs/logging/log.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dynobs/common/clock.h"
#include "dynobs/logging/format.h"
#include "dynobs/logging/internal/async_writer.h"
#include "dynobs/logging/internal/fatal_signals.h"
#include "dynobs/logging/internal/line_buffer.h"
#include "dynobs/logging/internal/text.h"
#include "dynobs/logging/span_events.h"
#include "dynobs/metrics/diagnostics.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::logging {
namespace {

constexpr std::string_view kLoggingTarget = "dynobs::logging";
constexpr size_t kMaxSinks = 8;
constexpr size_t kKeptBufferBytes = size_t{64} << 10;
constexpr auto kExitFlush = std::chrono::seconds(3);

constexpr std::array<Level, 5> kLevels = {Level::kError, Level::kWarn, Level::kInfo, Level::kDebug,
                                          Level::kTrace};

size_t LevelIndex(Level level) {
  auto i = static_cast<size_t>(level);
  return i >= 1 && i <= 5 ? i - 1 : 2;
}

// The process's logger: output settings, the writer, the sinks. Created on first use and never
// destroyed, so that records logged during exit still find it.
struct Logger {
  internal::AsyncWriter writer;
  std::atomic<bool> jsonl{false};
  std::atomic<bool> local_time{false};
  std::atomic<bool> ansi{false};
  std::array<std::atomic<RecordSink*>, kMaxSinks> sinks{};
  std::atomic<size_t> sink_slots{0};  // slots [0, sink_slots) may hold a sink
  std::array<metrics::IntCounter, 5> dropped;
};

void FormatLine(const Logger& lg, const LogRecord& r, internal::LineBuffer* out) {
  FormatOptions options{.local_time = lg.local_time.load(std::memory_order_relaxed),
                        .ansi = lg.ansi.load(std::memory_order_relaxed)};
  if (lg.jsonl.load(std::memory_order_relaxed)) {
    internal::WriteJsonl(r, options, out);
  } else {
    internal::WriteReadable(r, options, out);
  }
}

Logger& TheLogger();

// The writer's line about records it dropped, in the current format.
void FormatDropNotice(const internal::DropCounts& dropped, std::string* out) {
  const Field fields[] = {{"dropped", dropped.total()},
                          {"dropped_error", dropped.of(Level::kError)},
                          {"dropped_warn", dropped.of(Level::kWarn)},
                          {"dropped_info", dropped.of(Level::kInfo)},
                          {"dropped_debug", dropped.of(Level::kDebug)},
                          {"dropped_trace", dropped.of(Level::kTrace)}};
  LogRecord r;
  r.time_unix_nanos = WallNanos();
  r.level = Level::kWarn;
  r.target = kLoggingTarget;
  r.message =
      "log records dropped: stderr did not keep up and the log buffer was full (counted in "
      "dynamo_logging_dropped_records_total)";
  r.fields = fields;
  internal::LineBuffer line;
  FormatLine(TheLogger(), r, &line);
  out->append(line.view());
}

std::array<metrics::IntCounter, 5> CreateDropCounters() {
  std::array<metrics::IntCounter, 5> out;
  auto vec = metrics::SelfMetricsRegistry()->CreateIntCounterVec(
      {.name = "dynamo_logging_dropped_records_total",
       .help = "Log records dropped because the log writer's buffer was full (stderr too slow)",
       .label_names = {"level"}});
  if (!vec.ok()) return out;  // counting degrades to the writer's own counts
  for (Level level : kLevels) {
    if (auto c = vec->WithLabelValues({LevelLabel(level)}); c.ok()) out[LevelIndex(level)] = *c;
  }
  return out;
}

void FlushAtExit() { TheLogger().writer.Flush(kExitFlush); }
void FlushForCrash() { TheLogger().writer.WriteBufferedForCrash(); }

Logger& TheLogger() {
  static Logger* logger = [] {
    auto* lg = new Logger();
    lg->dropped = CreateDropCounters();
    lg->writer.Start({}, &FormatDropNotice);
    std::atexit(&FlushAtExit);
    return lg;
  }();
  return *logger;
}

void DeliverToSinks(Logger& lg, const LogRecord& record) {
  size_t slots = lg.sink_slots.load(std::memory_order_acquire);
  if (slots == 0) return;
  thread_local bool in_sink = false;  // a sink that logs does not feed itself
  if (in_sink) return;
  in_sink = true;
  thread_local std::vector<Field> scratch;
  LogRecord r = record;
  r.fields = RedactFields(record.fields, &scratch);
  for (size_t i = 0; i < slots; ++i) {
    if (RecordSink* sink = lg.sinks[i].load(std::memory_order_acquire)) sink->OnRecord(r);
  }
  in_sink = false;
}

void MetricsDiagnostic(metrics::Severity severity, std::string_view message,
                       std::initializer_list<metrics::Field> report_fields) {
  Level level = severity == metrics::Severity::kError  ? Level::kError
                : severity == metrics::Severity::kWarn ? Level::kWarn
                                                       : Level::kInfo;
  std::vector<Field> fields;
  fields.reserve(report_fields.size());
  for (const auto& [key, value] : report_fields) fields.push_back({key, value});
  Log(level, "dynobs::metrics", message, fields);
}

}  // namespace

void InitLogging(const LoggingConfig& config) {
  Logger& lg = TheLogger();
  SetFilter(Filter::Build(config.directives, config.span_events));
  lg.jsonl.store(config.format == LogFormat::kJsonl);
  lg.local_time.store(config.local_time);
  lg.ansi.store(!config.disable_ansi && isatty(config.fd) == 1);
  SetSpanEventsEnabled(config.span_events);
  SetPayloadsEnabled(config.payloads);
  lg.writer.Start({.fd = config.fd,
                   .capacity_bytes = config.buffer_bytes,
                   .before_write = config.test_before_write,
                   .write_delay = config.test_write_delay},
                  &FormatDropNotice);
  if (config.install_signal_handlers) internal::InstallFatalSignalHandlers(&FlushForCrash);
  for (const std::string& warning : config.warnings) {  // whatever the filter says
    LogRecord r;
    r.time_unix_nanos = WallNanos();
    r.level = Level::kWarn;
    r.target = kLoggingTarget;
    r.message = warning;
    Write(r);
  }
}

void Emit(const CallSite& site, std::string_view message, std::initializer_list<Field> fields) {
  LogRecord r;
  r.time_unix_nanos = WallNanos();
  r.level = site.level();
  r.target = site.target();
  r.file = site.file();
  r.line = site.line();
  r.message = message;
  r.fields = std::span<const Field>(fields.begin(), fields.size());
  r.span = CurrentSpan();
  Write(r);
}

void Log(Level level, std::string_view target, std::string_view message,
         std::span<const Field> fields, std::string_view file, uint32_t line) {
  if (!Enabled(level, target)) return;
  LogRecord r;
  r.time_unix_nanos = WallNanos();
  r.level = level;
  r.target = target;
  r.file = file;
  r.line = line;
  r.message = message;
  r.fields = fields;
  r.span = CurrentSpan();
  Write(r);
}

void Write(const LogRecord& record) {
  Logger& lg = TheLogger();
  thread_local internal::LineBuffer line;
  line.clear();
  FormatLine(lg, record, &line);
  if (!lg.writer.Append(record.level, line.view())) lg.dropped[LevelIndex(record.level)].Inc();
  line.ShrinkTo(kKeptBufferBytes);
  DeliverToSinks(lg, record);
}

bool Flush(std::chrono::milliseconds timeout) { return TheLogger().writer.Flush(timeout); }

void Shutdown(std::chrono::milliseconds timeout) { TheLogger().writer.Stop(timeout); }

uint64_t DroppedRecords(Level level) { return TheLogger().writer.dropped().of(level); }

void AddRecordSink(RecordSink* sink) {
  Logger& lg = TheLogger();
  for (size_t i = 0; i < kMaxSinks; ++i) {
    RecordSink* expected = nullptr;
    if (lg.sinks[i].compare_exchange_strong(expected, sink)) {
      size_t slots = lg.sink_slots.load();
      while (slots < i + 1 && !lg.sink_slots.compare_exchange_weak(slots, i + 1)) {
      }
      return;
    }
  }
  Log(Level::kError, kLoggingTarget, "too many log record sinks; this one is ignored",
      std::array<Field, 1>{Field{"max_sinks", kMaxSinks}});
}

void RemoveRecordSink(RecordSink* sink) {
  for (auto& slot : TheLogger().sinks) {
    RecordSink* expected = sink;
    slot.compare_exchange_strong(expected, nullptr);
  }
}

void InstallMetricsDiagnostics() { metrics::SetDiagnosticSink(&MetricsDiagnostic); }

}  // namespace dynobs::logging
