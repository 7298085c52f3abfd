#include "dynobs/tracing/otlp/otlp_export.h"

#include <future>

namespace dynobs::otlp {

StatusOr<OtlpExport> StartOtlpExport(const ExportConfig& config) {
  OtlpExport out;
  if (config.traces.enabled) {
    auto spans = BatchSpanProcessor::Create(config);
    if (!spans.ok()) return spans.status();
    out.spans = std::move(*spans);
  }
  if (config.logs.enabled) {
    auto logs = BatchLogProcessor::Create(config);
    if (!logs.ok()) return logs.status();
    out.logs = std::move(*logs);
  }
  return out;
}

bool OtlpExport::ForceFlush(int64_t timeout_ms) {
  std::future<bool> logs_done;
  if (logs)
    logs_done = std::async(std::launch::async, [&] { return logs->ForceFlush(timeout_ms); });
  bool ok = spans ? spans->ForceFlush(timeout_ms) : true;
  if (logs_done.valid()) ok = logs_done.get() && ok;
  return ok;
}

void OtlpExport::Shutdown(int64_t timeout_ms) {
  std::future<void> logs_done;
  if (logs) logs_done = std::async(std::launch::async, [&] { logs->Shutdown(timeout_ms); });
  if (spans) spans->Shutdown(timeout_ms);
  if (logs_done.valid()) logs_done.get();
}

StartupLine DescribeExport(const ExportConfig& config) {
  StartupLine line;
  bool traces = config.traces.enabled;
  bool logs = config.logs.enabled;
  if (!traces && !logs) {
    line.message = "OpenTelemetry OTLP export disabled, traces local only";
    return line;
  }
  line.message = traces && logs ? "OpenTelemetry OTLP export enabled (traces and logs)"
                 : traces       ? "OpenTelemetry OTLP export enabled (traces)"
                                : "OpenTelemetry OTLP export enabled (logs)";
  const SignalConfig& first = traces ? config.traces : config.logs;
  line.fields.emplace_back("endpoint", first.endpoint);
  line.fields.emplace_back("protocol", std::string(ProtocolName(first.protocol)));
  if (traces && logs &&
      (config.logs.endpoint != config.traces.endpoint ||
       config.logs.protocol != config.traces.protocol)) {
    line.fields.emplace_back("logs_endpoint", config.logs.endpoint);
    line.fields.emplace_back("logs_protocol", std::string(ProtocolName(config.logs.protocol)));
  }
  line.fields.emplace_back("service", config.service_name);
  return line;
}

}  // namespace dynobs::otlp
