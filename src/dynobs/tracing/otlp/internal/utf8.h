#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dynobs::otlp::internal {

// UTF-8 checks for the encoders. Protobuf `string` fields and JSON text must be valid UTF-8 (a
// strict receiver refuses the whole request otherwise), while log messages and attribute values
// may hold any bytes. The encoders check each string (ASCII is checked 8 bytes at a time) and
// replace invalid sequences with U+FFFD only when there are some.

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF).
[[nodiscard]] inline bool IsAsciiOnly(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

// Length of the well-formed sequence starting at s[i] (1..4), or 0 when it is malformed.
[[nodiscard]] size_t Utf8SequenceLength(std::string_view s, size_t i);

[[nodiscard]] inline bool IsValidUtf8(std::string_view s) {
  if (IsAsciiOnly(s)) return true;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Appends `s` with each malformed sequence (a bad byte and the continuation bytes after it)
// replaced by one U+FFFD (EF BF BD).
void AppendSanitizedUtf8(std::string& out, std::string_view s);

}  // namespace dynobs::otlp::internal
