#include "dynobs/tracing/otlp/span_processor.h"

#include "dynobs/tracing/otlp/internal/batch_export.h"

namespace dynobs::otlp {

StatusOr<std::unique_ptr<BatchSpanProcessor>> BatchSpanProcessor::Create(
    const ExportConfig& config) {
  auto transport = MakeTransport(config.traces);
  if (!transport.ok()) return transport.status();
  auto exporter = std::make_unique<Exporter>(Signal::kTraces, std::move(*transport), RetryPolicy{},
                                             config.traces.endpoint);
  return std::make_unique<BatchSpanProcessor>(config.span_batch, config.traces.protocol,
                                              TraceEncoder(config.resource, config.service_name),
                                              std::move(exporter));
}

BatchSpanProcessor::BatchSpanProcessor(const BatchConfig& batch, Protocol protocol,
                                       TraceEncoder encoder, std::unique_ptr<Exporter> exporter)
    : metrics_(ExportMetrics(Signal::kTraces)),
      config_(batch),
      protocol_(protocol),
      encoder_(std::move(encoder)),
      exporter_(std::move(exporter)),
      queue_(static_cast<size_t>(batch.max_queue_size)),
      worker_(batch, this) {
  batch_.reserve(static_cast<size_t>(batch.max_export_batch_size));
  worker_.Start();
}

BatchSpanProcessor::~BatchSpanProcessor() { worker_.Shutdown(kDefaultShutdownMs); }

bool BatchSpanProcessor::ForceFlush(int64_t timeout_ms) { return worker_.ForceFlush(timeout_ms); }

void BatchSpanProcessor::Shutdown(int64_t timeout_ms) { worker_.Shutdown(timeout_ms); }

BatchResult BatchSpanProcessor::ExportBatch() {
  return internal::ExportFromQueue(queue_, static_cast<size_t>(config_.max_export_batch_size),
                                   batch_, body_, encoder_, protocol_, *exporter_, metrics_,
                                   config_.export_timeout_ms);
}

void BatchSpanProcessor::DropQueued() { internal::DropAll(queue_, metrics_); }

}  // namespace dynobs::otlp
