#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dynobs/logging/record.h"
#include "dynobs/tracing/otlp/batch_worker.h"
#include "dynobs/tracing/otlp/config.h"
#include "dynobs/tracing/otlp/encoder.h"
#include "dynobs/tracing/otlp/export_metrics.h"
#include "dynobs/tracing/otlp/exporter.h"
#include "dynobs/tracing/otlp/internal/bounded_queue.h"
#include "dynobs/tracing/otlp/log_data.h"

namespace dynobs::otlp {

// The OTLP batch log record processor (OTEL_BLRP_*), installed as the logger's RecordSink: every
// record that passes the filter is copied (LogData: text, fields, the current span's trace and
// span ids) into a bounded lock-free queue and exported in batches by one thread as
// ExportLogsServiceRequests. The observed time of a record is its own time (the record is
// observed where it is emitted).
//
// OnRecord never blocks: a full queue (checked before anything is copied) or a processor that is
// shut down drops the record and counts it in
// dynamo_tracing_log_records_dropped_total{reason="queue_full"|"shutdown"}. A copy costs two
// allocations. Memory is bounded by the queue's capacity in records plus one encoded batch.
//
// Thread safety: OnRecord from any number of threads; ForceFlush and Shutdown from any thread.
class BatchLogProcessor final : public logging::RecordSink, private BatchSource {
 public:
  static constexpr int64_t kDefaultShutdownMs = 5000;

  [[nodiscard]] static StatusOr<std::unique_ptr<BatchLogProcessor>> Create(
      const ExportConfig& config);

  BatchLogProcessor(const BatchConfig& batch, Protocol protocol, LogEncoder encoder,
                    std::unique_ptr<Exporter> exporter);
  ~BatchLogProcessor() override;
  BatchLogProcessor(const BatchLogProcessor&) = delete;
  BatchLogProcessor& operator=(const BatchLogProcessor&) = delete;

  void OnRecord(const logging::LogRecord& record) override {
    if (worker_.stopped()) {
      metrics_.dropped_shutdown.Inc();
      return;
    }
    size_t queued = queue_.size() < queue_.capacity()
                        ? queue_.TryPush(LogData(record, record.time_unix_nanos))
                        : 0;
    if (queued == 0) {
      metrics_.dropped_queue_full.Inc();
      return;
    }
    worker_.OnPushed(queued);
  }
  bool ForceFlush(int64_t timeout_ms);
  void Shutdown(int64_t timeout_ms);

 private:
  uint64_t Pushed() const override { return queue_.pushed(); }
  uint64_t Popped() const override { return queue_.popped(); }
  BatchResult ExportBatch() override;
  void DropQueued() override;
  void AbortExport() override { exporter_->Abort(); }

  const SignalMetrics& metrics_;
  const BatchConfig config_;
  const Protocol protocol_;
  const LogEncoder encoder_;
  const std::unique_ptr<Exporter> exporter_;
  internal::BoundedQueue<LogData> queue_;
  std::vector<LogData> batch_;  // worker thread only
  std::string body_;            // worker thread only
  BatchWorker worker_;          // last: its thread uses the members above
};

}  // namespace dynobs::otlp
