#include "dynobs/tracing/otlp/batch_worker.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>

#include "dynobs/common/clock.h"

namespace dynobs::otlp {

BatchWorker::BatchWorker(const BatchConfig& config, BatchSource* source)
    : batch_size_(static_cast<size_t>(config.max_export_batch_size)),
      delay_ns_(config.schedule_delay_ms * 1'000'000),
      source_(source) {}

BatchWorker::~BatchWorker() { Shutdown(0); }

void BatchWorker::Start() {
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void BatchWorker::Wake() {
  if (wake_.exchange(true)) return;
  std::lock_guard lock(mu_);
  cv_.notify_one();
}

bool BatchWorker::DrainTo(uint64_t target) {
  bool all_delivered = true;
  while (source_->Popped() < target && !aborted_.load()) {
    BatchResult r = source_->ExportBatch();
    all_delivered = all_delivered && r.delivered;
    if (r.taken == 0) std::this_thread::yield();  // a push is half done
  }
  return all_delivered && !aborted_.load();
}

void BatchWorker::Run() {
  // SCHED_BATCH: waking this thread never preempts the thread that woke it (CFS skips wakeup
  // preemption for batch threads), so the span that completes a batch does not pay for the
  // export. Best effort: a refusal leaves the thread as it was.
  sched_param param{};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
  std::unique_lock lock(mu_);
  int64_t next_export = MonotonicNanos() + delay_ns_;
  for (;;) {
    auto wait = std::chrono::nanoseconds(std::max<int64_t>(0, next_export - MonotonicNanos()));
    cv_.wait_for(lock, wait, [&] {
      return stop_ || flush_requested_ > flush_done_ || wake_.load(std::memory_order_relaxed);
    });
    bool stop = stop_;
    bool flush = flush_requested_ > flush_done_;
    uint64_t flush_ticket = flush_requested_;
    uint64_t flush_target = flush_target_;
    wake_.store(false);
    lock.unlock();
    bool timer = MonotonicNanos() >= next_export;
    bool delivered = true;
    if (stop || timer || flush) {
      delivered = DrainTo(std::max(flush_target, source_->Pushed()));
    } else {
      while (source_->Pushed() - source_->Popped() >= batch_size_ && !aborted_.load()) {
        source_->ExportBatch();
      }
    }
    if (aborted_.load()) source_->DropQueued();
    lock.lock();
    if (timer) next_export = MonotonicNanos() + delay_ns_;
    if (flush && flush_ticket > flush_done_) {
      flush_done_ = flush_ticket;
      flush_ok_ = delivered;
    }
    done_cv_.notify_all();
    if (stop) break;
  }
  exited_ = true;
  done_cv_.notify_all();
}

bool BatchWorker::ForceFlush(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  if (exited_ || !started_) return source_->Pushed() == source_->Popped();
  uint64_t ticket = ++flush_requested_;
  flush_target_ = source_->Pushed();
  cv_.notify_one();
  bool done = done_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                [&] { return flush_done_ >= ticket || exited_; });
  return done && flush_done_ >= ticket && flush_ok_;
}

void BatchWorker::Shutdown(int64_t timeout_ms) {
  std::lock_guard serialized(shutdown_mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  {
    std::unique_lock lock(mu_);
    if (stopped_.exchange(true) && !thread_.joinable()) return;
    stop_ = true;
    cv_.notify_one();
    if (!done_cv_.wait_until(lock, deadline, [&] { return exited_ || !thread_.joinable(); })) {
      aborted_.store(true);
      lock.unlock();
      source_->AbortExport();
    }
  }
  if (thread_.joinable()) thread_.join();
  source_->DropQueued();  // pushes that raced with the stop
}

}  // namespace dynobs::otlp
