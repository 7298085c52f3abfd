#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/common/status.h"
#include "dynobs/tracing/otlp/config.h"
#include "dynobs/tracing/otlp/export_metrics.h"
#include "dynobs/tracing/otlp/response.h"

namespace dynobs::otlp {

// The answer to one export request.
struct AttemptResult {
  enum class Outcome : uint8_t { kOk, kRetryable, kFinal };
  Outcome outcome = Outcome::kOk;
  FailureKind failure = FailureKind::kRejected;  // when not kOk
  std::optional<int64_t> retry_after_ms;         // the server's delay (Retry-After, RetryInfo)
  std::string detail;                            // for the log: "HTTP 400: ...", "UNAVAILABLE: ..."
  PartialSuccess partial;                        // when kOk

  static AttemptResult Failed(Outcome outcome, FailureKind failure, std::string detail) {
    AttemptResult r;
    r.outcome = outcome;
    r.failure = failure;
    r.detail = std::move(detail);
    return r;
  }
};

// Moves one encoded export request to the collector: OTLP/gRPC (GrpcTransport) or OTLP/HTTP
// (HttpTransport). Connections are kept between requests.
//
// Thread safety: Send is called by one thread at a time (the signal's exporter thread); Abort may
// be called from any thread while a Send runs.
class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `body` (an encoded ExportTraceServiceRequest / ExportLogsServiceRequest, compressed
  // here when configured) and waits for the answer until `deadline_ns` (MonotonicNanos clock).
  // Never throws.
  virtual AttemptResult Send(std::string_view body, int64_t deadline_ns) = 0;

  // Makes the Send in progress return soon with kCancelled, and every later Send at once.
  virtual void Abort() = 0;
};

// The transport for `config.protocol`. Errors: a certificate file that cannot be read, a client
// library that fails to initialize.
[[nodiscard]] StatusOr<std::unique_ptr<Transport>> MakeTransport(const SignalConfig& config);

}  // namespace dynobs::otlp
