#include "dynobs/tracing/otlp/log_processor.h"

#include "dynobs/tracing/otlp/internal/batch_export.h"

namespace dynobs::otlp {

StatusOr<std::unique_ptr<BatchLogProcessor>> BatchLogProcessor::Create(const ExportConfig& config) {
  auto transport = MakeTransport(config.logs);
  if (!transport.ok()) return transport.status();
  auto exporter = std::make_unique<Exporter>(Signal::kLogs, std::move(*transport), RetryPolicy{},
                                             config.logs.endpoint);
  return std::make_unique<BatchLogProcessor>(config.log_batch, config.logs.protocol,
                                             LogEncoder(config.resource), std::move(exporter));
}

BatchLogProcessor::BatchLogProcessor(const BatchConfig& batch, Protocol protocol,
                                     LogEncoder encoder, std::unique_ptr<Exporter> exporter)
    : metrics_(ExportMetrics(Signal::kLogs)),
      config_(batch),
      protocol_(protocol),
      encoder_(std::move(encoder)),
      exporter_(std::move(exporter)),
      queue_(static_cast<size_t>(batch.max_queue_size)),
      worker_(batch, this) {
  batch_.reserve(static_cast<size_t>(batch.max_export_batch_size));
  worker_.Start();
}

BatchLogProcessor::~BatchLogProcessor() { worker_.Shutdown(kDefaultShutdownMs); }

bool BatchLogProcessor::ForceFlush(int64_t timeout_ms) { return worker_.ForceFlush(timeout_ms); }

void BatchLogProcessor::Shutdown(int64_t timeout_ms) { worker_.Shutdown(timeout_ms); }

BatchResult BatchLogProcessor::ExportBatch() {
  return internal::ExportFromQueue(queue_, static_cast<size_t>(config_.max_export_batch_size),
                                   batch_, body_, encoder_, protocol_, *exporter_, metrics_,
                                   config_.export_timeout_ms);
}

void BatchLogProcessor::DropQueued() { internal::DropAll(queue_, metrics_); }

}  // namespace dynobs::otlp
