#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dynobs::otlp {

// When to retry an export and how long to wait (OTLP specification, "Retryable Response Codes"
// and "OTLP/HTTP Throttling").
//
// Retryable: HTTP 429, 502, 503, 504; gRPC CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
// UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED only when the server sent a RetryInfo; a
// transport that could not connect or timed out. Everything else is final: the batch is dropped
// at once.
//
// The wait before retry n (1, 2, ...) is the server's delay when it gave one (Retry-After,
// google.rpc.RetryInfo), else exponential backoff with jitter: d = min(initial * 2^(n-1), max),
// drawn uniformly from [d/2, d]. The exporter gives up when the wait would end past the batch's
// export deadline (OTEL_BSP_EXPORT_TIMEOUT / OTEL_BLRP_EXPORT_TIMEOUT).
struct RetryPolicy {
  int64_t initial_backoff_ms = 1000;
  int64_t max_backoff_ms = 30000;

  // `random` is any 64-bit random number (the jitter).
  [[nodiscard]] int64_t BackoffMs(int retry, uint64_t random) const;
};

[[nodiscard]] bool IsRetryableHttpStatus(int status);
[[nodiscard]] bool IsRetryableGrpcCode(int code, bool has_retry_info);

// Retry-After (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate) turned into a
// delay from `now_unix_ms` (0 when it is in the past). nullopt when malformed.
[[nodiscard]] std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms);

}  // namespace dynobs::otlp
