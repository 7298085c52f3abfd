#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/tracing/otlp/config.h"
#include "dynobs/tracing/otlp/log_processor.h"
#include "dynobs/tracing/otlp/span_processor.h"

namespace dynobs::otlp {

// OTLP export as a process starts it (DESIGN.md: `OTEL_EXPORT_ENABLED=1`):
//
//   auto config = otlp::LoadExportConfig(env::Reader(env::ProcessSource()));
//   if (!config.ok()) env::ExitWithConfigError(config.status());
//   auto otlp = otlp::StartOtlpExport(*config);           // an error here stops start-up too
//   ... install otlp->spans as the tracer's SpanProcessor (when not null) and otlp->logs as a
//   ... RecordSink of the logger (when not null); log DescribeExport(*config) at INFO
//   otlp->Shutdown(5000);                                  // on exit: flush, then stop
//
// Each processor owns its export thread and its connection to the collector.
struct OtlpExport {
  std::unique_ptr<BatchSpanProcessor> spans;  // null when traces are not exported
  std::unique_ptr<BatchLogProcessor> logs;    // null when logs are not exported

  // Both signals in parallel, each within `timeout_ms`.
  bool ForceFlush(int64_t timeout_ms);
  void Shutdown(int64_t timeout_ms);
};

[[nodiscard]] StatusOr<OtlpExport> StartOtlpExport(const ExportConfig& config);

// Dynamo's start-up line (spec §8.1): "OpenTelemetry OTLP export enabled (traces and logs)"
// (or "(traces)", "(logs)") with endpoint, protocol and service fields, or "OpenTelemetry OTLP
// export disabled, traces local only".
struct StartupLine {
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};
[[nodiscard]] StartupLine DescribeExport(const ExportConfig& config);

}  // namespace dynobs::otlp
