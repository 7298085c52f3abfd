#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/transport.h"

namespace dynobs::otlp::testing {

// A scripted Transport for tests: answers from a queue (OK once it is empty), records the
// bodies it was sent, and can stall like a collector that never answers (until the request's
// deadline or Abort). Thread-safe.
class FakeTransport final : public Transport {
 public:
  void Script(std::vector<AttemptResult> answers) {
    std::lock_guard lock(mu_);
    answers_.assign(answers.begin(), answers.end());
  }
  // Keep only the number of bodies (benchmarks: memory stays flat).
  void KeepBodies(bool keep) {
    std::lock_guard lock(mu_);
    keep_bodies_ = keep;
  }
  void Stall(bool stall) {
    std::lock_guard lock(mu_);
    stall_ = stall;
    cv_.notify_all();
  }

  AttemptResult Send(std::string_view body, int64_t deadline_ns) override {
    std::unique_lock lock(mu_);
    ++calls_;
    if (keep_bodies_) bodies_.emplace_back(body);
    cv_.notify_all();
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::nanoseconds(deadline_ns - MonotonicNanos());
    cv_.wait_until(lock, deadline, [&] { return !stall_ || aborted_; });
    if (aborted_) {
      return AttemptResult::Failed(AttemptResult::Outcome::kFinal, FailureKind::kCancelled, "");
    }
    if (stall_) {
      return AttemptResult::Failed(AttemptResult::Outcome::kRetryable, FailureKind::kTimeout,
                                   "stalled");
    }
    if (answers_.empty()) return AttemptResult{};
    AttemptResult r = answers_.front();
    answers_.pop_front();
    return r;
  }
  void Abort() override {
    std::lock_guard lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }

  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  // Waits until `pred(bodies)` holds, at most `timeout`.
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(bodies_); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<AttemptResult> answers_;
  std::vector<std::string> bodies_;
  int calls_ = 0;
  bool stall_ = false;
  bool keep_bodies_ = true;
  bool aborted_ = false;
};

}  // namespace dynobs::otlp::testing
