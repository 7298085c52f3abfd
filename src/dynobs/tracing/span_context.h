#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dynobs/tracing/ids.h"

namespace dynobs::tracing {

// W3C trace-flags bits (Trace Context Level 1 "sampled", Level 2 "random").
inline constexpr uint8_t kSampledFlag = 0x01;
inline constexpr uint8_t kRandomFlag = 0x02;
// The flags this process understands and propagates; other bits are reserved and sent as zero.
inline constexpr uint8_t kKnownFlags = kSampledFlag | kRandomFlag;

// What identifies a span to the rest of the trace, and what travels with a request beside it
// (spec §8.3): trace id, span id, trace flags, the W3C tracestate, whether the context came from
// another process, and Dynamo's request ids (`x_request_id` as the client sent it, `request_id` a
// UUID). A context with an invalid (all-zero) trace or span id has no trace, but may still carry
// request ids: that is what header extraction returns when `traceparent` is missing or invalid,
// and a span started from it begins a new trace that keeps those ids.
//
// A value: cheap to copy (the strings are shared, immutable, reference counted: a copy costs an
// atomic increment when any of them is set, nothing otherwise). Safe to copy and read from any
// thread; pass it explicitly with a request across coroutines and threads.
class SpanContext {
 public:
  SpanContext() = default;  // invalid, carries nothing
  SpanContext(TraceId trace_id, SpanId span_id, uint8_t flags, bool is_remote)
      : trace_id_(trace_id), span_id_(span_id), flags_(flags), is_remote_(is_remote) {}

  [[nodiscard]] const TraceId& trace_id() const { return trace_id_; }
  [[nodiscard]] const SpanId& span_id() const { return span_id_; }
  [[nodiscard]] uint8_t flags() const { return flags_; }
  [[nodiscard]] bool sampled() const { return (flags_ & kSampledFlag) != 0; }
  [[nodiscard]] bool is_remote() const { return is_remote_; }
  // Both ids valid (non-zero).
  [[nodiscard]] bool IsValid() const { return trace_id_.IsValid() && span_id_.IsValid(); }

  // Normalized W3C tracestate ("k1=v1,k2=v2", no blanks), "" when none.
  [[nodiscard]] std::string_view tracestate() const;
  // The client's `x-request-id`, "" when none.
  [[nodiscard]] std::string_view x_request_id() const;
  // Dynamo's request id (a UUID), "" when none.
  [[nodiscard]] std::string_view request_id() const;

  // Copies with other carried values (the ids and flags unchanged). Each allocates once.
  [[nodiscard]] SpanContext WithTracestate(std::string_view tracestate) const;
  [[nodiscard]] SpanContext WithRequestIds(std::string_view x_request_id,
                                           std::string_view request_id) const;

  // The same carried values on other ids: how a span shares its parent's (no allocation).
  [[nodiscard]] SpanContext WithIds(TraceId trace_id, SpanId span_id, uint8_t flags,
                                    bool is_remote) const {
    SpanContext c(trace_id, span_id, flags, is_remote);
    c.carried_ = carried_;
    return c;
  }

 private:
  struct Carried {
    std::string tracestate;
    std::string x_request_id;
    std::string request_id;
  };

  TraceId trace_id_;
  SpanId span_id_;
  uint8_t flags_ = 0;
  bool is_remote_ = false;
  std::shared_ptr<const Carried> carried_;  // null: nothing carried
};

}  // namespace dynobs::tracing
