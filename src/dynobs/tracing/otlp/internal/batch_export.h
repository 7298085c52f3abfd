#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/batch_worker.h"
#include "dynobs/tracing/otlp/config.h"
#include "dynobs/tracing/otlp/export_metrics.h"
#include "dynobs/tracing/otlp/exporter.h"
#include "dynobs/tracing/otlp/internal/bounded_queue.h"

namespace dynobs::otlp::internal {

// The export step shared by the span and log processors, run on the worker thread: take up to
// `max` items, encode them for `protocol`, export with a deadline of `timeout_ms`, count the
// outcome. `batch` and `body` are the caller's reusable buffers (their capacity stays, so a
// steady state allocates nothing for them).
template <typename Item, typename Encoder>
BatchResult ExportFromQueue(BoundedQueue<Item>& queue, size_t max, std::vector<Item>& batch,
                            std::string& body, const Encoder& encoder, Protocol protocol,
                            Exporter& exporter, const SignalMetrics& metrics, int64_t timeout_ms) {
  batch.clear();
  Item item;
  while (batch.size() < max && queue.TryPop(item)) batch.push_back(std::move(item));
  size_t n = batch.size();
  if (n == 0) return {.taken = 0};
  body.clear();
  if (protocol == Protocol::kHttpJson) {
    encoder.EncodeJson(batch, &body);
  } else {
    encoder.EncodeProto(batch, &body);
  }
  batch.clear();  // the items' memory goes back now, not at the next batch
  Exporter::Result r = exporter.Export(body, MonotonicNanos() + timeout_ms * 1'000'000);
  if (!r.delivered) {
    metrics.dropped_export_failed.Inc(n);
    return {.taken = n, .delivered = false};
  }
  auto rejected = static_cast<size_t>(std::clamp<int64_t>(r.rejected, 0, static_cast<int64_t>(n)));
  metrics.dropped_rejected.Inc(rejected);
  metrics.exported.Inc(n - rejected);
  return {.taken = n, .delivered = true};
}

// Takes everything out of `queue`, counted as dropped by shutdown.
template <typename Item>
void DropAll(BoundedQueue<Item>& queue, const SignalMetrics& metrics) {
  Item item;
  uint64_t n = 0;
  while (queue.TryPop(item)) ++n;
  metrics.dropped_shutdown.Inc(n);
}

}  // namespace dynobs::otlp::internal
