#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "dynobs/tracing/otlp/config.h"

namespace dynobs::otlp {

// What one ExportBatch did.
struct BatchResult {
  size_t taken = 0;       // items taken out of the queue
  bool delivered = true;  // the collector accepted the request (perhaps partially)
};

// What a batch processor gives its worker thread.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  [[nodiscard]] virtual uint64_t Pushed() const = 0;  // items ever queued
  [[nodiscard]] virtual uint64_t Popped() const = 0;  // items ever taken out
  // Takes up to one batch out of the queue and exports it (blocking, bounded by the export
  // timeout).
  virtual BatchResult ExportBatch() = 0;
  // Takes everything out of the queue and counts it as dropped{reason="shutdown"}.
  virtual void DropQueued() = 0;
  // Makes an export in progress return at once (shutdown past its time bound).
  virtual void AbortExport() = 0;
};

// The thread of one batch processor (OpenTelemetry's batch processor semantics): it exports
// when a full batch is queued, when the schedule delay has passed since the last export (then
// everything queued), on ForceFlush, and on Shutdown.
//
// Producers never wait: Wake() is called only when a push made the queue reach a full batch, and
// takes the mutex once per batch (the worker holds it only to check its conditions, never while
// exporting). The thread runs as SCHED_BATCH, so the wake-up does not preempt the producer.
//
// ForceFlush and Shutdown are time-bounded: ForceFlush returns true when the items queued at its
// call were all exported and accepted by the collector within its time, false when an export
// failed or time ran out (export then continues in the background); Shutdown exports
// what is queued until its time is up, then aborts the export in progress, drops (and counts)
// what is left, and joins the thread.
//
// Thread safety: all methods may be called from any thread. Start once; Shutdown before the
// source is destroyed.
class BatchWorker {
 public:
  BatchWorker(const BatchConfig& config, BatchSource* source);
  ~BatchWorker();  // Shutdown(0) if still running
  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;

  void Start();

  // Hot path: the producer's queue just reached `queued` items.
  void OnPushed(size_t queued) {
    if (queued >= batch_size_ && !wake_.load(std::memory_order_relaxed)) Wake();
  }

  bool ForceFlush(int64_t timeout_ms);
  void Shutdown(int64_t timeout_ms);
  [[nodiscard]] bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

 private:
  void Wake();
  void Run();
  // Exports until everything pushed before `target` has been taken (or the worker is aborted).
  // True when every batch was delivered.
  bool DrainTo(uint64_t target);

  const size_t batch_size_;
  const int64_t delay_ns_;
  BatchSource* const source_;
  std::atomic<bool> wake_{false};
  std::atomic<bool> stopped_{false};  // no more pushes are accepted
  std::atomic<bool> aborted_{false};  // shutdown ran out of time: drop instead of exporting
  std::mutex shutdown_mu_;            // one Shutdown at a time
  std::mutex mu_;
  std::condition_variable cv_;       // to the worker
  std::condition_variable done_cv_;  // from the worker
  uint64_t flush_requested_ = 0;     // guarded by mu_: ticket of the latest ForceFlush
  uint64_t flush_done_ = 0;          // guarded by mu_
  bool flush_ok_ = true;             // guarded by mu_: result of the latest flush
  uint64_t flush_target_ = 0;        // guarded by mu_: Pushed() at the latest ForceFlush
  bool stop_ = false;                // guarded by mu_
  bool exited_ = false;              // guarded by mu_
  bool started_ = false;             // set once by Start, before the thread exists
  std::thread thread_;
};

}  // namespace dynobs::otlp
