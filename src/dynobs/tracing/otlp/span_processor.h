#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dynobs/tracing/otlp/batch_worker.h"
#include "dynobs/tracing/otlp/config.h"
#include "dynobs/tracing/otlp/encoder.h"
#include "dynobs/tracing/otlp/export_metrics.h"
#include "dynobs/tracing/otlp/exporter.h"
#include "dynobs/tracing/otlp/internal/bounded_queue.h"
#include "dynobs/tracing/span_data.h"

namespace dynobs::otlp {

// The OTLP batch span processor (OTEL_BSP_*): ended spans go into a bounded lock-free queue
// (OTEL_BSP_MAX_QUEUE_SIZE); one thread exports them in batches (batch_worker.h) as
// ExportTraceServiceRequests over the configured protocol.
//
// OnEnd never blocks and never allocates: it moves the span into a preallocated slot (one
// compare-and-swap). A full queue, or a processor that is shut down, drops the span and counts
// it in dynamo_tracing_spans_dropped_total{reason="queue_full"|"shutdown"}. Memory is bounded by
// the queue's capacity in spans plus one encoded batch, whatever the collector does: a collector
// that is down for an hour costs dropped spans, not memory.
//
// Thread safety: OnEnd from any number of threads; ForceFlush and Shutdown from any thread.
class BatchSpanProcessor final : public tracing::SpanProcessor, private BatchSource {
 public:
  // The destructor's shutdown bound when Shutdown was not called.
  static constexpr int64_t kDefaultShutdownMs = 5000;

  // Builds the transport for config.traces and starts the export thread.
  [[nodiscard]] static StatusOr<std::unique_ptr<BatchSpanProcessor>> Create(
      const ExportConfig& config);

  // With a given exporter (tests, benchmarks). Starts the export thread.
  BatchSpanProcessor(const BatchConfig& batch, Protocol protocol, TraceEncoder encoder,
                     std::unique_ptr<Exporter> exporter);
  ~BatchSpanProcessor() override;
  BatchSpanProcessor(const BatchSpanProcessor&) = delete;
  BatchSpanProcessor& operator=(const BatchSpanProcessor&) = delete;

  void OnEnd(tracing::SpanData&& span) override {
    if (worker_.stopped()) {
      metrics_.dropped_shutdown.Inc();
      return;
    }
    size_t queued = queue_.TryPush(std::move(span));
    if (queued == 0) {
      metrics_.dropped_queue_full.Inc();
      return;
    }
    worker_.OnPushed(queued);
  }
  // Exports what is queued now; false when that took longer than `timeout_ms`.
  bool ForceFlush(int64_t timeout_ms) override;
  // Exports what is queued, within `timeout_ms`, then stops; later spans are dropped (counted).
  void Shutdown(int64_t timeout_ms) override;

 private:
  uint64_t Pushed() const override { return queue_.pushed(); }
  uint64_t Popped() const override { return queue_.popped(); }
  BatchResult ExportBatch() override;
  void DropQueued() override;
  void AbortExport() override { exporter_->Abort(); }

  const SignalMetrics& metrics_;
  const BatchConfig config_;
  const Protocol protocol_;
  const TraceEncoder encoder_;
  const std::unique_ptr<Exporter> exporter_;
  internal::BoundedQueue<tracing::SpanData> queue_;
  std::vector<tracing::SpanData> batch_;  // worker thread only
  std::string body_;                      // worker thread only
  BatchWorker worker_;                    // last: its thread uses the members above
};

}  // namespace dynobs::otlp
