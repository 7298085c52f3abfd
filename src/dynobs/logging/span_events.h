#pragma once

#include <cstdint>

#include "dynobs/logging/record.h"
#include "dynobs/logging/span_info.h"

namespace dynobs::logging {

// Span lifecycle records (spec §7.3, DYN_LOGGING_SPAN_EVENTS): the tracing layer calls these;
// the logger writes them like any record (message SPAN_FIRST_ENTRY / SPAN_CLOSED, target = the
// span's target, the span's context and fields), when span events are on and the level passes
// the filter for the span's target.

// True when DYN_LOGGING_SPAN_EVENTS is on. A load; check it before gathering timings.
[[nodiscard]] bool SpanEventsEnabled();

// The first time a span is entered.
void EmitSpanFirstEntry(const SpanInfo& span, Level level);

// When a span closes: `time.busy_us` (time entered), `time.idle_us` (time alive but not
// entered) and `time.duration_us` (their sum), in whole microseconds.
void EmitSpanClosed(const SpanInfo& span, Level level, int64_t busy_ns, int64_t idle_ns);

// The DYN_LOGGING_SPAN_EVENTS switch; InitLogging sets it (off by default). A relaxed store.
void SetSpanEventsEnabled(bool enabled);

}  // namespace dynobs::logging
