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

// Fast ids from a per-thread generator (xoshiro256**) seeded from the OS (random_device) mixed
// with the thread and the time: unpredictable enough to be unique across processes and hosts,
// cheap enough for every span (a few nanoseconds, no lock). Never all zero. Every byte is random,
// so trace ids meet W3C Trace Context Level 2's "random" flag (the right-most 7 bytes random).
// A forked child reseeds before its first id, so parent and child never share a sequence.
[[nodiscard]] TraceId NewTraceId();
[[nodiscard]] SpanId NewSpanId();

// A random (version 4, RFC 9562) UUID in the lowercase hyphenated form,
// e.g. "8372eac7-5f43-4d76-beca-0a94cfb311d0". From the same generator.
[[nodiscard]] std::string NewUuidV4();

// True when `text` parses as a UUID the way Rust's uuid::Uuid::parse_str accepts it (what Dynamo
// validates request ids with): 32 hex digits either plain or hyphenated 8-4-4-4-12, the
// hyphenated form also braced ({...}) or prefixed with "urn:uuid:"; hex digits in either case.
[[nodiscard]] bool IsUuid(std::string_view text);

}  // namespace dynobs::tracing
