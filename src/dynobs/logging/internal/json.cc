#include "dynobs/logging/internal/json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace dynobs::logging::internal {
namespace {

constexpr int kMaxDepth = 128;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A cursor over JSON text; each Parse* consumes one token and reports whether it was valid.
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

  bool Validate();

 private:
  void SkipSpace() {
    while (p_ < end_ && IsJsonSpace(*p_)) ++p_;
  }
  bool Consume(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool ParseLiteral(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size()) return false;
    if (std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  bool ParseDigits() {
    const char* start = p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    return p_ > start;
  }
  bool ParseNumber();
  bool ParseHex4(uint32_t* unit);
  bool ParseEscape();
  bool ParseString();
  bool ParseScalar();
  // After a value: closes finished containers, then positions before the next value. Sets
  // `*done` when the top-level value is complete.
  bool AfterValue(bool* done);
  bool OpenContainer(bool* closed);

  bool Push(bool is_object) {
    if (depth_ == kMaxDepth) return false;
    uint64_t bit = uint64_t{1} << (depth_ % 64);
    if (is_object) {
      objects_[depth_ / 64] |= bit;
    } else {
      objects_[depth_ / 64] &= ~bit;
    }
    ++depth_;
    return true;
  }
  [[nodiscard]] bool TopIsObject() const {
    int d = depth_ - 1;
    return (objects_[d / 64] >> (d % 64)) & 1;
  }
  bool ParseKeyColon() {
    SkipSpace();
    if (!ParseString()) return false;
    SkipSpace();
    return Consume(':');
  }

  const char* p_;
  const char* end_;
  int depth_ = 0;
  uint64_t objects_[kMaxDepth / 64] = {};
};

bool JsonCursor::ParseNumber() {
  Consume('-');
  if (Consume('0')) {
    // a leading zero stands alone
  } else if (p_ == end_ || *p_ < '1' || *p_ > '9' || !ParseDigits()) {
    return false;
  }
  if (Consume('.') && !ParseDigits()) return false;
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (!ParseDigits()) return false;
  }
  return true;
}

bool JsonCursor::ParseHex4(uint32_t* unit) {
  if (end_ - p_ < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p_[i];
    if (!IsHex(c)) return false;
    v = v * 16 + static_cast<uint32_t>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  p_ += 4;
  *unit = v;
  return true;
}

// At the character after a backslash.
bool JsonCursor::ParseEscape() {
  if (p_ == end_) return false;
  char c = *p_++;
  switch (c) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
      return true;
    case 'u': {
      uint32_t unit = 0;
      if (!ParseHex4(&unit)) return false;
      if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // lone low surrogate
      if (unit < 0xD800 || unit > 0xDBFF) return true;
      uint32_t low = 0;
      return Consume('\\') && Consume('u') && ParseHex4(&low) && low >= 0xDC00 && low <= 0xDFFF;
    }
    default:
      return false;
  }
}

bool JsonCursor::ParseString() {
  if (!Consume('"')) return false;
  const auto* end = reinterpret_cast<const unsigned char*>(end_);
  while (p_ < end_) {
    auto u = static_cast<unsigned char>(*p_);
    if (u == '"') {
      ++p_;
      return true;
    }
    if (u < 0x20) return false;
    if (u == '\\') {
      ++p_;
      if (!ParseEscape()) return false;
    } else if (u < 0x80) {
      ++p_;
    } else {
      Utf8Step step = NextUtf8(reinterpret_cast<const unsigned char*>(p_), end);
      if (!step.valid) return false;
      p_ += step.length;
    }
  }
  return false;
}

bool JsonCursor::ParseScalar() {
  switch (*p_) {
    case '"':
      return ParseString();
    case 't':
      return ParseLiteral("true");
    case 'f':
      return ParseLiteral("false");
    case 'n':
      return ParseLiteral("null");
    default:
      return (*p_ == '-' || IsDigit(*p_)) && ParseNumber();
  }
}

// At '{' or '['. Sets `*closed` when the container is empty and already closed.
bool JsonCursor::OpenContainer(bool* closed) {
  bool is_object = *p_++ == '{';
  if (!Push(is_object)) return false;
  SkipSpace();
  if (Consume(is_object ? '}' : ']')) {
    --depth_;
    *closed = true;
    return true;
  }
  *closed = false;
  return !is_object || ParseKeyColon();
}

bool JsonCursor::AfterValue(bool* done) {
  for (;;) {
    SkipSpace();
    if (depth_ == 0) {
      *done = true;
      return p_ == end_;
    }
    bool object = TopIsObject();
    if (Consume(',')) return !object || ParseKeyColon();
    if (!Consume(object ? '}' : ']')) return false;
    --depth_;
  }
}

bool JsonCursor::Validate() {
  for (;;) {
    SkipSpace();
    if (p_ == end_) return false;
    bool closed = true;
    if (*p_ == '{' || *p_ == '[') {
      if (!OpenContainer(&closed)) return false;
    } else if (!ParseScalar()) {
      return false;
    }
    if (!closed) continue;  // the container's first value comes next
    bool done = false;
    if (!AfterValue(&done)) return false;
    if (done) return true;
  }
}

}  // namespace

Utf8Step NextUtf8(const unsigned char* p, const unsigned char* end) {
  unsigned char b = p[0];
  if (b < 0x80) return {1, true};
  size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false};
  }
  size_t n = 1;
  for (; n <= need; ++n) {
    if (p + n >= end) return {n, false};
    unsigned char c = p[n];
    if (n == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return {n, false};
  }
  return {n, true};
}

bool IsValidJson(std::string_view text) { return JsonCursor(text).Validate(); }

}  // namespace dynobs::logging::internal
