#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace dynobs::runtime::discovery_internal {

// A thread that calls `tick` at once, then every `period` (or sooner after Wake) until Stop or
// destruction. Thread safety: Wake and Stop may be called from any thread but the tick itself.
class PeriodicThread {
 public:
  PeriodicThread(std::chrono::milliseconds period, std::function<void()> tick)
      : period_(period), tick_(std::move(tick)), thread_([this] { Run(); }) {}
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Wake() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  // Waits for a running tick to return; no tick starts afterwards.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      woken_ = false;
      lock.unlock();
      tick_();
      lock.lock();
      cv_.wait_for(lock, period_, [this] { return woken_ || stopping_; });
    }
  }

  const std::chrono::milliseconds period_;
  const std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it reads
};

}  // namespace dynobs::runtime::discovery_internal
