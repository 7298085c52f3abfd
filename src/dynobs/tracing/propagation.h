#pragma once

#include <functional>
#include <string_view>

#include "dynobs/tracing/span_context.h"

namespace dynobs::tracing {

// Carrying trace context and request ids across a hop (spec §8.3), over any transport whose
// headers are name/value pairs (HTTP, the request plane).
//
// Thread safety: the functions are thread-safe; the callbacks run on the calling thread.

// Calls `each` with every value of the header called `name`, in the order received. Names
// compare case-insensitively; `name` is given in lowercase.
using HeaderValueSink = std::function<void(std::string_view value)>;
using HeaderLookup = std::function<void(std::string_view name, const HeaderValueSink& each)>;
// Writes one header (name in lowercase).
using HeaderWriter = std::function<void(std::string_view name, std::string_view value)>;

// A HeaderLookup over a range of objects with `name` and `value` members (http::Header,
// std::pair's first/second do not qualify). The range must outlive the lookup.
template <typename Headers>
[[nodiscard]] HeaderLookup LookupIn(const Headers& headers) {
  return [&headers](std::string_view name, const HeaderValueSink& each) {
    for (const auto& h : headers) {
      std::string_view n = h.name;
      if (n.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < n.size() && same; ++i) {
        char c = n[i] >= 'A' && n[i] <= 'Z' ? static_cast<char>(n[i] - 'A' + 'a') : n[i];
        same = c == name[i];
      }
      if (same) each(h.value);
    }
  };
}

// The context of an incoming request:
//  - W3C: exactly one `traceparent` header that ParseTraceparent accepts gives a remote parent
//    (its trace id, parent id and flags; reserved flag bits cleared). Then, and only then, the
//    `tracestate` headers are combined and parsed (TraceState::Parse; an invalid list is
//    dropped). No, several or an invalid `traceparent`: the result is an invalid context (the
//    span started from it begins a new trace), without tracestate.
//  - `x-request-id`: any value, kept as is (first header if several).
//  - request id: `request-id`, else the deprecated `x-dynamo-request-id` (a WARN naming DEP
//    #7812 each time it is sent, and another when it is not a UUID); the first that is a UUID
//    (IsUuid) is kept as sent; otherwise a fresh UUIDv4. Always set.
[[nodiscard]] SpanContext ExtractContext(const HeaderLookup& lookup);

// The W3C headers for an outgoing request from the span with context `context`:
// `traceparent: 00-<trace id>-<span id>-<flags>` with the sampled and random flags, and
// `tracestate` as carried (when not empty). Nothing when `context` is invalid.
void InjectTraceContext(const SpanContext& context, const HeaderWriter& write);

// The headers of an internal hop (frontend to worker, spec §8.3): `traceparent` with flags
// `01` (or `00` when the span is not sampled: only the sampled bit, as Dynamo's Rust peers
// reject version-00 flags above 02), `tracestate` (when any), `x-request-id` (when any) and
// `request-id` (when any). Nothing for an invalid context but the request ids.
void InjectInternalHop(const SpanContext& context, const HeaderWriter& write);

}  // namespace dynobs::tracing
