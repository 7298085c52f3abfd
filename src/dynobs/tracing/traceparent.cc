#include "dynobs/tracing/traceparent.h"

namespace dynobs::tracing {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Lowercase hex only: the recommendation's HEXDIGLC.
int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool ParseLowerHex(std::string_view text, std::array<uint8_t, N>& out) {
  for (size_t i = 0; i < N; ++i) {
    int hi = LowerHexValue(text[2 * i]);
    int lo = LowerHexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
void WriteHex(const std::array<uint8_t, N>& bytes, char* out) {
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && IsOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsOws(v.back())) v.remove_suffix(1);
  return v;
}

// Field layout shared by every version: vv-<32>-<16>-<2>, dashes at 2, 35 and 52.
constexpr size_t kTraceIdAt = 3;
constexpr size_t kParentIdAt = 36;
constexpr size_t kFlagsAt = 53;

}  // namespace

std::optional<Traceparent> ParseTraceparent(std::string_view value) {
  value = TrimOws(value);
  if (value.size() < kTraceparentSize) return std::nullopt;
  std::array<uint8_t, 1> version{};
  if (!ParseLowerHex(value.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  if (version[0] == 0 && value.size() != kTraceparentSize) return std::nullopt;
  if (value.size() > kTraceparentSize && value[kTraceparentSize] != '-') return std::nullopt;
  if (value[2] != '-' || value[kParentIdAt - 1] != '-' || value[kFlagsAt - 1] != '-') {
    return std::nullopt;
  }
  Traceparent tp;
  tp.version = version[0];
  std::array<uint8_t, 1> flags{};
  if (!ParseLowerHex(value.substr(kTraceIdAt, 32), tp.trace_id.bytes) ||
      !ParseLowerHex(value.substr(kParentIdAt, 16), tp.parent_id.bytes) ||
      !ParseLowerHex(value.substr(kFlagsAt, 2), flags)) {
    return std::nullopt;
  }
  if (!tp.trace_id.IsValid() || !tp.parent_id.IsValid()) return std::nullopt;
  tp.flags = flags[0];
  return tp;
}

void FormatTraceparent(const TraceId& trace_id, const SpanId& parent_id, uint8_t flags,
                       TraceparentBuffer& out) {
  char* p = out.data();
  p[0] = '0';
  p[1] = '0';
  p[2] = '-';
  WriteHex(trace_id.bytes, p + kTraceIdAt);
  p[kParentIdAt - 1] = '-';
  WriteHex(parent_id.bytes, p + kParentIdAt);
  p[kFlagsAt - 1] = '-';
  WriteHex(std::array<uint8_t, 1>{flags}, p + kFlagsAt);
}

std::string FormatTraceparent(const TraceId& trace_id, const SpanId& parent_id, uint8_t flags) {
  TraceparentBuffer buf;
  FormatTraceparent(trace_id, parent_id, flags, buf);
  return {buf.data(), buf.size()};
}

}  // namespace dynobs::tracing
