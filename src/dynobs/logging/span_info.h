#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "dynobs/logging/field.h"

namespace dynobs::logging {

// What a log record needs to know about the span it was emitted in (spec §7.3: span_name,
// trace_id, span_id, parent_id, tracestate, x_request_id, request_id and the fields of the
// innermost span). The logging layer sits below tracing, so tracing fills one of these per span
// and makes it current on a thread while the span is entered (the small interface of DESIGN.md,
// Layers). All views point into the span and stay valid while it is current.
struct SpanInfo {
  std::string_view name;    // e.g. "http-request"
  std::string_view target;  // e.g. "request_span"
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  std::array<uint8_t, 8> parent_id{};  // all zero: no parent
  std::string_view tracestate;
  std::string_view x_request_id;
  std::string_view request_id;
  std::span<const Field> fields;  // the span's own fields (method, uri, model...)
};

// The span current on the calling thread, or null. A thread-local pointer: reading it is a load.
[[nodiscard]] const SpanInfo* CurrentSpan();

// Makes `span` current on this thread and returns the previous one (restore it on exit; nesting
// is the caller's stack). Used by tracing's scoped span activation.
const SpanInfo* SetCurrentSpan(const SpanInfo* span);

}  // namespace dynobs::logging
