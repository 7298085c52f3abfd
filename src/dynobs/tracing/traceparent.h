#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/tracing/ids.h"

namespace dynobs::tracing {

// The W3C Trace Context `traceparent` header (Recommendation, Level 1; Level 2's random flag):
//   traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
//                version-trace_id-parent_id-trace_flags
// Pure functions, no allocation except FormatTraceparent's string. Thread-safe.

inline constexpr size_t kTraceparentSize = 55;  // the length of a version-00 value

struct Traceparent {
  uint8_t version = 0;
  TraceId trace_id;
  SpanId parent_id;
  uint8_t flags = 0;  // all eight bits as received; kSampledFlag and kRandomFlag are known
};

// Parses one header value by the recommendation's rules. nullopt (start a new trace) when:
//  - the version is not two lowercase hex digits followed by '-', or is ff;
//  - version 00 and the value is not exactly 55 characters
//    (`00-` 32 hex `-` 16 hex `-` 2 hex);
//  - a higher version and the value is shorter than 55 characters, or a field is malformed, or
//    the flags are followed by anything but the end or '-' (what follows is not parsed: future
//    versions are additive);
//  - any hex digit is uppercase or not hex;
//  - the trace id or the parent id is all zeros.
// Leading and trailing spaces and tabs (HTTP's optional whitespace) are ignored.
[[nodiscard]] std::optional<Traceparent> ParseTraceparent(std::string_view value);

// "00-<trace id>-<parent id>-<flags>", lowercase hex. Always version 00, the highest this
// implementation knows (a higher version received is downgraded, as the recommendation says).
using TraceparentBuffer = std::array<char, kTraceparentSize>;
void FormatTraceparent(const TraceId& trace_id, const SpanId& parent_id, uint8_t flags,
                       TraceparentBuffer& out);
[[nodiscard]] std::string FormatTraceparent(const TraceId& trace_id, const SpanId& parent_id,
                                            uint8_t flags);

}  // namespace dynobs::tracing
