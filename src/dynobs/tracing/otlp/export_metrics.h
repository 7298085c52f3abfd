#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "dynobs/metrics/handles.h"
#include "dynobs/tracing/otlp/config.h"

namespace dynobs::otlp {

// Why one export request failed (the `reason` label of dynamo_tracing_export_failures_total).
enum class FailureKind : uint8_t {
  kTimeout,      // no answer before the request's deadline
  kConnection,   // could not connect, connection reset, DNS failure
  kTls,          // certificate verification or TLS set-up failed
  kThrottled,    // HTTP 429, gRPC RESOURCE_EXHAUSTED
  kUnavailable,  // HTTP 502/503/504, gRPC UNAVAILABLE and the other retryable codes
  kRejected,     // any other error answer (HTTP 4xx/5xx, gRPC INVALID_ARGUMENT...): not retried
  kCancelled,    // cut short by shutdown
  kEncoding,     // the request could not be built (compression failed)
};
inline constexpr size_t kFailureKinds = 8;
[[nodiscard]] std::string_view FailureKindName(FailureKind kind);

// dynobs's export metrics, created once in metrics::SelfMetricsRegistry() (docs/metrics.md):
//   dynamo_tracing_spans_exported_total            spans the collector accepted
//   dynamo_tracing_log_records_exported_total      log records the collector accepted
//   dynamo_tracing_spans_dropped_total{reason}     reason: queue_full, export_failed, rejected
//   dynamo_tracing_log_records_dropped_total{reason}         (by the collector), shutdown
//   dynamo_tracing_export_failures_total{signal,reason}  failed requests (each attempt);
//                                                   signal: traces, logs; reason: FailureKindName
//   dynamo_tracing_export_retries_total{signal}    requests sent again after a failure
// Handles are resolved once; recording is a per-thread add.
struct SignalMetrics {
  metrics::IntCounter exported;
  metrics::IntCounter dropped_queue_full;
  metrics::IntCounter dropped_export_failed;
  metrics::IntCounter dropped_rejected;
  metrics::IntCounter dropped_shutdown;
  metrics::IntCounter retries;
  std::array<metrics::IntCounter, kFailureKinds> failures;
};

// Thread-safe; the first call registers the families (later calls are a load).
[[nodiscard]] const SignalMetrics& ExportMetrics(Signal signal);

}  // namespace dynobs::otlp
