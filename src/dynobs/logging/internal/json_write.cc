#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "dynobs/logging/internal/json.h"

namespace dynobs::logging::internal {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Writes the escape for an ASCII byte that JSON does not allow raw (a control, `"` or `\`).
char* WriteEscape(char* out, unsigned char u) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (u) {
    case '"':
      *out++ = '"';
      return out;
    case '\\':
      *out++ = '\\';
      return out;
    case '\b':
      *out++ = 'b';
      return out;
    case '\f':
      *out++ = 'f';
      return out;
    case '\n':
      *out++ = 'n';
      return out;
    case '\r':
      *out++ = 'r';
      return out;
    case '\t':
      *out++ = 't';
      return out;
    default:
      out[0] = 'u';
      out[1] = '0';
      out[2] = '0';
      out[3] = kHex[u >> 4];
      out[4] = kHex[u & 0xf];
      return out + 5;
  }
}

// The common case of a double with at most 6 decimals and 15 significant digits (0.25, 12.5,
// 1234.0): written from an integer, which is much cheaper than the shortest-digits search and
// gives the same text. Returns null when `v` is not such a value.
char* WriteShortDecimal(char* out, double v) {
  constexpr double kScale = 1e6;
  double scaled = v * kScale;
  if (!(std::fabs(scaled) < 1e15) || scaled != std::floor(scaled)) return nullptr;
  auto n = static_cast<int64_t>(scaled);
  if (static_cast<double>(n) / kScale != v) return nullptr;  // "n / 10^6" would not read back
  if (n < 0 || (n == 0 && std::signbit(v))) *out++ = '-';
  uint64_t u = n < 0 ? static_cast<uint64_t>(-n) : static_cast<uint64_t>(n);
  out = std::to_chars(out, out + 24, u / 1000000).ptr;
  *out++ = '.';
  auto frac = static_cast<uint32_t>(u % 1000000);
  if (frac == 0) {
    *out++ = '0';
    return out;
  }
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int len = 6;
  while (digits[len - 1] == '0') --len;
  std::memcpy(out, digits, static_cast<size_t>(len));
  return out + len;
}

}  // namespace

char* WriteCompactJson(char* out, std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      *out++ = c;
      if (c == '\\') {
        *out++ = text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (!IsJsonSpace(c)) {
      *out++ = c;
      in_string = c == '"';
    }
  }
  return out;
}

char* WriteJsonString(char* out, std::string_view s) {
  *out++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (end - p >= 8 && !AnyJsonSpecial(Load8(p))) {  // the common case: plain ASCII
      std::memcpy(out, p, 8);
      out += 8;
      p += 8;
      continue;
    }
    unsigned char u = *p;
    if (u >= 0x80) {
      Utf8Step step = NextUtf8(p, end);
      if (step.valid) {
        std::memcpy(out, p, step.length);
        out += step.length;
      } else {
        std::memcpy(out, kReplacementChar.data(), 3);
        out += 3;
      }
      p += step.length;
    } else if (u < 0x20 || u == '"' || u == '\\') {
      out = WriteEscape(out, u);
      ++p;
    } else {
      *out++ = static_cast<char>(u);
      ++p;
    }
  }
  *out++ = '"';
  return out;
}

char* WriteJsonDouble(char* out, double v) {
  if (!std::isfinite(v)) {
    *out++ = '0';
    return out;
  }
  double mag = std::fabs(v);
  char buf[kNumberBound];
  if (mag == 0 || (mag >= 1e-5 && mag < 1e16)) {
    if (char* end = WriteShortDecimal(out, v)) return end;
    // Fixed notation. The plain shortest form is fixed for most values and the quicker one.
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    std::string_view text(buf, res.ptr - buf);
    if (text.find('e') != std::string_view::npos) {
      res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
      text = std::string_view(buf, res.ptr - buf);
    }
    std::memcpy(out, text.data(), text.size());
    out += text.size();
    if (text.find('.') == std::string_view::npos) {
      *out++ = '.';
      *out++ = '0';
    }
    return out;
  }
  // Scientific, as ryu writes it: "1.5e-07" -> "1.5e-7", "1e+16" -> "1e16".
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view text(buf, res.ptr - buf);
  size_t e = text.find('e');
  std::memcpy(out, text.data(), e + 1);
  out += e + 1;
  size_t i = e + 1;
  if (text[i] == '+') ++i;
  if (text[i] == '-') {
    *out++ = '-';
    ++i;
  }
  while (i + 1 < text.size() && text[i] == '0') ++i;
  std::memcpy(out, text.data() + i, text.size() - i);
  return out + (text.size() - i);
}

char* WriteDoubleText(char* out, double v) {
  std::string_view word = std::isnan(v) ? "NaN" : !std::isinf(v) ? "" : v > 0 ? "inf" : "-inf";
  if (word.empty()) return WriteJsonDouble(out, v);
  std::memcpy(out, word.data(), word.size());
  return out + word.size();
}

namespace {
template <typename Write>
void AppendWith(std::string& out, size_t bound, Write write) {
  size_t old = out.size();
  out.resize(old + bound);
  char* end = write(out.data() + old);
  out.resize(static_cast<size_t>(end - out.data()));
}
}  // namespace

void AppendCompactJson(std::string& out, std::string_view text) {
  AppendWith(out, text.size(), [&](char* p) { return WriteCompactJson(p, text); });
}

void AppendJsonString(std::string& out, std::string_view s) {
  AppendWith(out, EscapedBound(s.size()), [&](char* p) { return WriteJsonString(p, s); });
}

void AppendJsonDouble(std::string& out, double v) {
  AppendWith(out, kNumberBound, [&](char* p) { return WriteJsonDouble(p, v); });
}

}  // namespace dynobs::logging::internal
