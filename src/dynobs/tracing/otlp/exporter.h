#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/export_metrics.h"
#include "dynobs/tracing/otlp/retry.h"
#include "dynobs/tracing/otlp/transport.h"

namespace dynobs::otlp {

// Sends one signal's encoded export requests through a Transport, retrying retryable failures
// (retry.h) until the batch's deadline: a request is never retried past it, and a final answer
// is never retried. A partial success is a success whose rejected records are reported (one
// rate-limited warning) and counted as dropped{reason="rejected"} by the caller.
//
// Counts every failed request in dynamo_tracing_export_failures_total{signal,reason} and every
// retry in dynamo_tracing_export_retries_total{signal}. The body is kept, not copied, across
// retries: memory does not grow with the number of attempts.
//
// Thread safety: Export is called by one thread at a time (the batch processor's); Abort from any.
class Exporter {
 public:
  struct Result {
    bool delivered = false;
    int64_t rejected = 0;  // records the collector refused in a partial success
    int attempts = 0;
    FailureKind failure = FailureKind::kRejected;  // the last failure when !delivered
  };

  Exporter(Signal signal, std::unique_ptr<Transport> transport, RetryPolicy policy,
           std::string endpoint);
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Blocks until the request is answered, given up, or `deadline_ns` (MonotonicNanos) passes.
  Result Export(std::string_view body, int64_t deadline_ns);

  // Makes the Export in progress return soon (not delivered, kCancelled), and later ones at once.
  void Abort();

  [[nodiscard]] Signal signal() const { return signal_; }

 private:
  // Sleeps until `until_ns`; false when aborted first.
  bool WaitUntil(int64_t until_ns);
  void ReportFailure(const AttemptResult& a, bool giving_up);

  const Signal signal_;
  const std::unique_ptr<Transport> transport_;
  const RetryPolicy policy_;
  const std::string endpoint_;
  const SignalMetrics& metrics_;
  std::mt19937_64 rng_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool aborted_ = false;  // guarded by mu_
};

}  // namespace dynobs::otlp
