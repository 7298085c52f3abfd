#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dynobs::otlp::internal {

// Pieces of OTLP/JSON (the protobuf JSON mapping as the OTLP specification restricts it). Each
// function appends to `out`; none allocates beyond the string's growth.

// A JSON string literal: invalid UTF-8 replaced by U+FFFD, `"` `\` and control characters escaped.
void AppendJsonText(std::string& out, std::string_view s);
// `"<hex>"`, lower-case: OTLP/JSON writes trace and span ids as hex, not base64.
void AppendJsonHex(std::string& out, const uint8_t* bytes, size_t size);
// 64-bit integers are JSON strings of decimal digits (the protobuf JSON mapping).
void AppendJsonInt64String(std::string& out, int64_t v);
void AppendJsonUint64String(std::string& out, uint64_t v);
void AppendJsonInt(std::string& out, int64_t v);  // a JSON number
// A double as the mapping writes it: shortest round-trip number; "NaN", "Infinity", "-Infinity".
void AppendJsonDouble(std::string& out, double v);

}  // namespace dynobs::otlp::internal
