#include "dynobs/tracing/otlp/export_metrics.h"

#include <string>

#include "dynobs/metrics/registry.h"
#include "dynobs/tracing/otlp/diagnostics.h"

namespace dynobs::otlp {
namespace {

template <typename T>
T OrReport(StatusOr<T> v) {
  if (v.ok()) return *v;
  Report("metrics", Severity::kWarn, "could not register an export metric",
         {{"error", v.status().message()}});
  return T();
}

metrics::IntCounterVec Vec(std::string name, std::string help, std::vector<std::string> labels) {
  return OrReport(metrics::SelfMetricsRegistry()->CreateIntCounterVec(
      {.name = std::move(name), .help = std::move(help), .label_names = std::move(labels)}));
}

metrics::IntCounter Series(const metrics::IntCounterVec& vec,
                           std::initializer_list<std::string_view> values) {
  return OrReport(vec.WithLabelValues(values));
}

struct AllMetrics {
  SignalMetrics traces;
  SignalMetrics logs;
};

void FillDropped(const metrics::IntCounterVec& dropped, SignalMetrics* m) {
  m->dropped_queue_full = Series(dropped, {"queue_full"});
  m->dropped_export_failed = Series(dropped, {"export_failed"});
  m->dropped_rejected = Series(dropped, {"rejected"});
  m->dropped_shutdown = Series(dropped, {"shutdown"});
}

AllMetrics* Create() {
  auto* all = new AllMetrics();
  auto* registry = metrics::SelfMetricsRegistry().get();
  auto counter = [&](std::string name, std::string help) {
    return OrReport(registry->CreateIntCounter({.name = std::move(name), .help = std::move(help)}));
  };
  all->traces.exported =
      counter("dynamo_tracing_spans_exported_total", "Spans accepted by the OTLP collector");
  all->logs.exported = counter("dynamo_tracing_log_records_exported_total",
                               "Log records accepted by the OTLP collector");
  FillDropped(
      Vec("dynamo_tracing_spans_dropped_total", "Spans not delivered, by reason", {"reason"}),
      &all->traces);
  FillDropped(Vec("dynamo_tracing_log_records_dropped_total",
                  "Log records not delivered, by reason", {"reason"}),
              &all->logs);
  auto failures =
      Vec("dynamo_tracing_export_failures_total",
          "OTLP export requests that failed, by signal and reason", {"signal", "reason"});
  auto retries = Vec("dynamo_tracing_export_retries_total",
                     "OTLP export requests sent again after a retryable failure", {"signal"});
  for (auto [signal, m] : {std::pair{Signal::kTraces, &all->traces}, {Signal::kLogs, &all->logs}}) {
    for (size_t k = 0; k < kFailureKinds; ++k) {
      m->failures[k] =
          Series(failures, {SignalName(signal), FailureKindName(static_cast<FailureKind>(k))});
    }
    m->retries = Series(retries, {SignalName(signal)});
  }
  return all;
}

}  // namespace

std::string_view FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kConnection:
      return "connection";
    case FailureKind::kTls:
      return "tls";
    case FailureKind::kThrottled:
      return "throttled";
    case FailureKind::kUnavailable:
      return "unavailable";
    case FailureKind::kRejected:
      return "rejected";
    case FailureKind::kCancelled:
      return "cancelled";
    case FailureKind::kEncoding:
      return "encoding";
  }
  return "unknown";
}

const SignalMetrics& ExportMetrics(Signal signal) {
  static AllMetrics* all = Create();
  return signal == Signal::kTraces ? all->traces : all->logs;
}

}  // namespace dynobs::otlp
