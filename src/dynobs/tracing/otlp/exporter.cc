#include "dynobs/tracing/otlp/exporter.h"

#include <chrono>
#include <string>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/diagnostics.h"
#include "dynobs/tracing/otlp/grpc_transport.h"
#include "dynobs/tracing/otlp/http_transport.h"

namespace dynobs::otlp {

Exporter::Exporter(Signal signal, std::unique_ptr<Transport> transport, RetryPolicy policy,
                   std::string endpoint)
    : signal_(signal),
      transport_(std::move(transport)),
      policy_(policy),
      endpoint_(std::move(endpoint)),
      metrics_(ExportMetrics(signal)),
      rng_(std::random_device()()) {}

Exporter::Result Exporter::Export(std::string_view body, int64_t deadline_ns) {
  Result result;
  for (int attempt = 1;; ++attempt) {
    result.attempts = attempt;
    AttemptResult a = transport_->Send(body, deadline_ns);
    if (a.outcome == AttemptResult::Outcome::kOk) {
      result.delivered = true;
      result.rejected = a.partial.rejected;
      if (!a.partial.empty()) {
        std::string rejected = std::to_string(a.partial.rejected);
        Report(signal_ == Signal::kTraces ? "traces-partial" : "logs-partial", Severity::kWarn,
               "OTLP collector accepted the export partially",
               {{"signal", SignalName(signal_)},
                {"endpoint", endpoint_},
                {"rejected", rejected},
                {"message", a.partial.error_message}});
      }
      return result;
    }
    metrics_.failures[static_cast<size_t>(a.failure)].Inc();
    result.failure = a.failure;
    if (a.failure == FailureKind::kCancelled) return result;
    int64_t wait_ms = a.retry_after_ms.value_or(policy_.BackoffMs(attempt, rng_()));
    int64_t resume_ns = MonotonicNanos() + wait_ms * 1'000'000;
    bool give_up = a.outcome == AttemptResult::Outcome::kFinal || resume_ns >= deadline_ns;
    ReportFailure(a, give_up);
    if (give_up) return result;
    if (!WaitUntil(resume_ns)) {
      result.failure = FailureKind::kCancelled;
      return result;
    }
    metrics_.retries.Inc();
  }
}

void Exporter::ReportFailure(const AttemptResult& a, bool giving_up) {
  const char* topic = signal_ == Signal::kTraces ? "traces-export" : "logs-export";
  Report(topic, Severity::kWarn,
         giving_up ? "OTLP export failed; the batch is dropped" : "OTLP export failed; retrying",
         {{"signal", SignalName(signal_)},
          {"endpoint", endpoint_},
          {"reason", FailureKindName(a.failure)},
          {"error", a.detail}});
}

void Exporter::Abort() {
  {
    std::lock_guard lock(mu_);
    aborted_ = true;
  }
  cv_.notify_all();
  transport_->Abort();
}

bool Exporter::WaitUntil(int64_t until_ns) {
  std::unique_lock lock(mu_);
  auto remaining = std::chrono::nanoseconds(std::max<int64_t>(0, until_ns - MonotonicNanos()));
  return !cv_.wait_for(lock, remaining, [&] { return aborted_; });
}

StatusOr<std::unique_ptr<Transport>> MakeTransport(const SignalConfig& config) {
  if (config.protocol == Protocol::kGrpc) {
    auto t = GrpcTransport::Create(config);
    if (!t.ok()) return t.status();
    return std::unique_ptr<Transport>(std::move(*t));
  }
  auto t = HttpTransport::Create(config);
  if (!t.ok()) return t.status();
  return std::unique_ptr<Transport>(std::move(*t));
}

}  // namespace dynobs::otlp
