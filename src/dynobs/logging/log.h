#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "dynobs/logging/config.h"
#include "dynobs/logging/field.h"
#include "dynobs/logging/filter.h"
#include "dynobs/logging/record.h"
#include "dynobs/logging/redaction.h"
#include "dynobs/logging/span_info.h"

// The logging layer (spec §7, issue 3 §1). A log statement:
//
//   constexpr const char* kTarget = "dynobs::worker";
//   DYNOBS_LOG(kInfo, kTarget, "worker started", {"worker_id", id}, {"pid", getpid()});
//
// The level is one of kError, kWarn, kInfo, kDebug, kTrace; the target a constant (a string
// literal or constexpr), the module path that DYN_LOG directives match; each {key, value} a
// Field (bool, integers, doubles, strings, FieldValue::Json, logging::Payload(text)).
//
// Cost: a statement the filter turns away costs two relaxed loads and a compare (its CallSite
// caches the filter's decision until the filter changes). One that passes takes the time, the
// current span, formats one line into a reused thread-local buffer and copies it into the async
// writer's ring under a short lock (a few hundred ns); it never waits for stderr. Fields are
// evaluated only when the statement passes the filter.
//
// Before InitLogging, records go to stderr in the readable format without colours, filtered by
// `info` plus the fixed directives of spec §7.2.

namespace dynobs::logging {

// Starts logging with `config`: filter, format, switches, the writer (restarted if running),
// fatal-signal handlers (once per process, if asked), and logs each of config.warnings once as a
// WARN record of target dynobs::logging. Call once at start-up; tests may call it again.
// A flush at normal exit (atexit) is registered the first time logging is used.
void InitLogging(const LoggingConfig& config);

// Writes a DYNOBS_LOG statement's record; the macro has checked the filter.
void Emit(const CallSite& site, std::string_view message, std::initializer_list<Field> fields);

// A record from code that has no CallSite (bridges such as the metrics diagnostics): checks the
// filter for `level` and `target`, then writes it in the current span.
void Log(Level level, std::string_view target, std::string_view message,
         std::span<const Field> fields, std::string_view file = {}, uint32_t line = 0);

// Writes a record that has passed the filter: to the output (through the async writer) and to
// the record sinks, with sensitive values redacted. The record is used only during the call.
void Write(const LogRecord& record);

// Waits until what was logged before the call has been written, for at most `timeout`.
bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Flushes, then stops the writer thread; records logged afterwards are written synchronously.
void Shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Records the writer dropped since InitLogging because its buffer was full (also counted in
// dynamo_logging_dropped_records_total{level}).
[[nodiscard]] uint64_t DroppedRecords(Level level);

// Routes the metrics layer's diagnostics (metrics::Report) into this log: target
// dynobs::metrics, the severity as the level, the report's fields as string fields.
void InstallMetricsDiagnostics();

}  // namespace dynobs::logging

// True when a statement of `level` at `target` would be written (for fields that are costly to
// compute). Cached like DYNOBS_LOG's check.
#define DYNOBS_LOG_ENABLED(level, target)                                                         \
  ([]() -> bool {                                                                                 \
    static constinit ::dynobs::logging::CallSite dynobs_log_site(::dynobs::logging::Level::level, \
                                                                 target);                         \
    return dynobs_log_site.Enabled();                                                             \
  }())

#define DYNOBS_LOG(level, target, message, ...)                                                   \
  do {                                                                                            \
    static constinit ::dynobs::logging::CallSite dynobs_log_site(::dynobs::logging::Level::level, \
                                                                 target, __FILE__, __LINE__);     \
    if (dynobs_log_site.Enabled()) {                                                              \
      ::dynobs::logging::Emit(dynobs_log_site, message, {__VA_ARGS__});                           \
    }                                                                                             \
  } while (0)
