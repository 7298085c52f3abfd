// The current span (span_info.h) and span lifecycle records (span_events.h).
#include <atomic>

#include "dynobs/common/clock.h"
#include "dynobs/logging/filter.h"
#include "dynobs/logging/log.h"
#include "dynobs/logging/span_events.h"
#include "dynobs/logging/span_info.h"

namespace dynobs::logging {
namespace {

thread_local const SpanInfo* t_current_span = nullptr;
std::atomic<bool> g_span_events{false};

void WriteSpanEvent(const SpanInfo& span, Level level, std::string_view message,
                    std::span<const Field> fields) {
  LogRecord r;
  r.time_unix_nanos = WallNanos();
  r.level = level;
  r.target = span.target;
  r.message = message;
  r.fields = fields;
  r.span = &span;
  Write(r);
}

}  // namespace

const SpanInfo* CurrentSpan() { return t_current_span; }

const SpanInfo* SetCurrentSpan(const SpanInfo* span) {
  const SpanInfo* previous = t_current_span;
  t_current_span = span;
  return previous;
}

bool SpanEventsEnabled() { return g_span_events.load(std::memory_order_relaxed); }

void SetSpanEventsEnabled(bool enabled) { g_span_events.store(enabled, std::memory_order_relaxed); }

void EmitSpanFirstEntry(const SpanInfo& span, Level level) {
  if (!SpanEventsEnabled() || !Enabled(level, span.target)) return;
  WriteSpanEvent(span, level, "SPAN_FIRST_ENTRY", {});
}

void EmitSpanClosed(const SpanInfo& span, Level level, int64_t busy_ns, int64_t idle_ns) {
  if (!SpanEventsEnabled() || !Enabled(level, span.target)) return;
  // As Dynamo: busy and idle truncated to whole microseconds, the duration their sum.
  int64_t busy_us = busy_ns / 1000;
  int64_t idle_us = idle_ns / 1000;
  const Field fields[] = {{"time.busy_us", busy_us},
                          {"time.idle_us", idle_us},
                          {"time.duration_us", busy_us + idle_us}};
  WriteSpanEvent(span, level, "SPAN_CLOSED", fields);
}

}  // namespace dynobs::logging
