#include "dynobs/tracing/otlp/internal/json_writer.h"

#include <charconv>
#include <cmath>

#include "dynobs/tracing/otlp/internal/utf8.h"

namespace dynobs::otlp::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendEscapedAscii(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default:
      break;
  }
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    out += "\\u00";
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  } else {
    out.push_back(c);
  }
}

bool NeedsEscape(unsigned char u) { return u < 0x20 || u == '"' || u == '\\' || u == 0x7f; }

}  // namespace

void AppendJsonText(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs nothing done in one append.
    size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80 &&
           !NeedsEscape(static_cast<unsigned char>(s[run]))) {
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x80) {
      AppendEscapedAscii(out, s[i]);
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n > 0) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    }
  }
  out.push_back('"');
}

void AppendJsonHex(std::string& out, const uint8_t* bytes, size_t size) {
  out.push_back('"');
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  out.push_back('"');
}

void AppendJsonInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void AppendJsonInt64String(std::string& out, int64_t v) {
  out.push_back('"');
  AppendJsonInt(out, v);
  out.push_back('"');
}

void AppendJsonUint64String(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.push_back('"');
  out.append(buf, r.ptr);
  out.push_back('"');
}

void AppendJsonDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
}

}  // namespace dynobs::otlp::internal
