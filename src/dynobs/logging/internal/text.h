#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "dynobs/logging/format.h"
#include "dynobs/logging/internal/line_buffer.h"
#include "dynobs/logging/record.h"

namespace dynobs::logging::internal {

// The formatters' entry points on a LineBuffer (format.h has the std::string ones): each writes
// one whole line, '\n' included, at the end of `out`.
void WriteJsonl(const LogRecord& record, const FormatOptions& options, LineBuffer* out);
void WriteReadable(const LogRecord& record, const FormatOptions& options, LineBuffer* out);

// `2026-11-25T03:24:29.123456Z` or `...+02:00`. Room: kTimestampBound.
inline constexpr size_t kTimestampBound = 40;
char* WriteTimestamp(char* out, int64_t unix_nanos, bool local_time);

// An integer in decimal. Room: 20 digits and a sign.
template <typename Int>
char* WriteDecimal(char* out, Int v) {
  return std::to_chars(out, out + 24, v).ptr;
}

// Lowercase hex of `bytes` into `dest` (2 * N chars); returns the view of it.
template <size_t N>
std::string_view HexInto(const std::array<uint8_t, N>& bytes, char* dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < N; ++i) {
    dest[2 * i] = kHex[bytes[i] >> 4];
    dest[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return {dest, 2 * N};
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace dynobs::logging::internal
