#include "dynobs/tracing/otlp/kv_list.h"

#include "dynobs/common/env.h"
#include "dynobs/tracing/otlp/internal/utf8.h"

namespace dynobs::otlp {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kAccepted =
    "a comma-separated list of key=value pairs (percent-encoded, e.g. a=1,b=x%2Cy)";

}  // namespace

StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) return InvalidArgumentError("malformed percent-encoding");
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

StatusOr<KeyValueList> ParseKeyValueList(std::string_view variable, std::string_view text) {
  KeyValueList out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    if (eq == std::string_view::npos) return env::InvalidSetting(variable, member, kAccepted);
    auto key = PercentDecode(Trim(member.substr(0, eq)));
    auto value = PercentDecode(Trim(member.substr(eq + 1)));
    if (!key.ok() || !value.ok() || key->empty() || !internal::IsValidUtf8(*key) ||
        !internal::IsValidUtf8(*value)) {
      return env::InvalidSetting(variable, member, kAccepted);
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace dynobs::otlp
