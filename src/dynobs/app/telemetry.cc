#include "dynobs/app/telemetry.h"

#include <chrono>

#include "dynobs/logging/config.h"
#include "dynobs/logging/log.h"
#include "dynobs/tracing/otlp/otlp_export.h"
#include "dynobs/tracing/sampler.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::app {
namespace {

constexpr const char* kTarget = "dynobs::telemetry";
constexpr int64_t kExportShutdownMs = 5000;

}  // namespace

struct Telemetry::Export {
  otlp::OtlpExport otlp;
};

Telemetry::Telemetry() = default;

Telemetry::~Telemetry() {
  if (export_) {
    if (export_->otlp.logs) logging::RemoveRecordSink(export_->otlp.logs.get());
    tracing::TracerProvider::Shutdown(kExportShutdownMs);
    export_->otlp.Shutdown(kExportShutdownMs);
  }
  logging::Flush(std::chrono::seconds(3));
}

void ExitWithConfigError(const Status& status) {
  logging::Flush(std::chrono::seconds(1));
  env::ExitWithConfigError(status);
}

std::unique_ptr<Telemetry> Telemetry::InitOrExit(const env::Reader& env) {
  logging::InstallMetricsDiagnostics();
  auto logging_config = logging::LoadLoggingConfig(env);
  if (!logging_config.ok()) ExitWithConfigError(logging_config.status());
  logging::InitLogging(*logging_config);

  auto tracing_config = tracing::LoadTracingConfig(env);
  if (!tracing_config.ok()) ExitWithConfigError(tracing_config.status());
  auto export_config = otlp::LoadExportConfig(env);
  if (!export_config.ok()) ExitWithConfigError(export_config.status());
  for (const auto& w : tracing_config->warnings) DYNOBS_LOG(kWarn, kTarget, w);
  auto started = otlp::StartOtlpExport(*export_config);
  if (!started.ok()) ExitWithConfigError(started.status());

  std::unique_ptr<Telemetry> t(new Telemetry());
  t->export_ = std::make_unique<Export>(Export{std::move(*started)});
  tracing::TracerProvider::Configure({.sampler = tracing_config->sampler,
                                      .processor = t->export_->otlp.spans.get(),
                                      .service_name = tracing_config->service_name});
  if (t->export_->otlp.logs) logging::AddRecordSink(t->export_->otlp.logs.get());

  otlp::StartupLine line = otlp::DescribeExport(*export_config);
  std::vector<logging::Field> fields;
  for (const auto& [k, v] : line.fields) fields.push_back({k, v});
  logging::Log(logging::Level::kInfo, kTarget, line.message, fields, __FILE__, __LINE__);
  return t;
}

}  // namespace dynobs::app
