#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dynobs::logging::internal {

// JSON and UTF-8 text helpers for the formatters. No state, no allocation, no exceptions
// (thread-safe). The Write* functions write at `out`, which must have room for the stated bound,
// and return the new end; the Append* ones are conveniences over std::string.

// One step through UTF-8 text: the length of the valid sequence at the cursor, or (valid false)
// the length of the maximal invalid subpart that one U+FFFD replaces, as Rust's from_utf8_lossy
// and the Unicode standard's "maximal subpart" practice do. Strict: no overlong forms, no
// surrogates, nothing above U+10FFFF. `p < end`.
struct Utf8Step {
  size_t length;
  bool valid;
};
[[nodiscard]] Utf8Step NextUtf8(const unsigned char* p, const unsigned char* end);

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Worst case of an escaped string: every byte as \u00XX, plus the quotes.
[[nodiscard]] constexpr size_t EscapedBound(size_t n) { return 6 * n + 2; }
inline constexpr size_t kNumberBound = 32;

// Eight bytes at a time: whether any byte of `w` is below 0x20, at or above 0x80, `"` or `\`.
[[nodiscard]] inline bool AnyJsonSpecial(uint64_t w) {
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  uint64_t quote = w ^ (k01 * '"');
  uint64_t backslash = w ^ (k01 * '\\');
  uint64_t special =
      ((w - k01 * 0x20) & ~w) | ((quote - k01) & ~quote) | ((backslash - k01) & ~backslash) | w;
  return (special & k80) != 0;
}

[[nodiscard]] inline uint64_t Load8(const void* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// True when `text` is one complete JSON value (RFC 8259), optionally surrounded by whitespace:
// strings valid UTF-8 with valid escapes (surrogate escapes paired), numbers in JSON's grammar,
// nesting at most 128 deep (serde_json's limit). One pass; most non-JSON text (a word, a UUID,
// a path) is rejected within its first bytes.
[[nodiscard]] bool IsValidJson(std::string_view text);

// JSON `text` without its insignificant whitespace, so that a pretty-printed value stays on one
// line. Precondition: IsValidJson(text). Room: text.size().
char* WriteCompactJson(char* out, std::string_view text);

// `s` as a JSON string literal with its quotes: `"`, `\` and control characters escaped (\b \f
// \n \r \t, the others as \u00XX), valid UTF-8 copied as is, invalid UTF-8 replaced by U+FFFD,
// so that the result is always valid JSON. Room: EscapedBound(s.size()).
char* WriteJsonString(char* out, std::string_view s);

// A double as serde_json (ryu) writes it: the shortest digits that round-trip, `1.0` rather
// than `1`, fixed notation for 1e-5 <= |v| < 1e16 and `1e16` / `1.5e-7` outside. NaN and the
// infinities as 0 (spec §7.3). Room: kNumberBound.
char* WriteJsonDouble(char* out, double v);

// Like WriteJsonDouble, but NaN, inf and -inf spelled out (text, not JSON).
char* WriteDoubleText(char* out, double v);

void AppendCompactJson(std::string& out, std::string_view text);
void AppendJsonString(std::string& out, std::string_view s);
void AppendJsonDouble(std::string& out, double v);

}  // namespace dynobs::logging::internal
