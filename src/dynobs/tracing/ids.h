#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dynobs::tracing {

// W3C / OpenTelemetry ids. A valid id is never all zero.
struct TraceId {
  std::array<uint8_t, 16> bytes{};
  [[nodiscard]] bool IsValid() const;
  [[nodiscard]] std::string ToHex() const;  // 32 lowercase hex digits
  // Exactly 32 hex digits (either case); nullopt otherwise. All-zero parses but is not valid.
  static std::optional<TraceId> FromHex(std::string_view hex);
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

struct SpanId {
  std::array<uint8_t, 8> bytes{};
  [[nodiscard]] bool IsValid() const;
  [[nodiscard]] std::string ToHex() const;  // 16 lowercase hex digits
  static std::optional<SpanId> FromHex(std::string_view hex);
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

// Fast ids from a per-thread generator seeded from the OS (random_device) mixed with the thread
// and the time: unpredictable enough to be unique across processes and hosts, cheap enough for
// every span. Never all zero.
[[nodiscard]] TraceId NewTraceId();
[[nodiscard]] SpanId NewSpanId();

}  // namespace dynobs::tracing
