#include "dynobs/app/call_load.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include <boost/json.hpp>

namespace dynobs::app {
namespace {

class Load {
 public:
  Load(runtime::EndpointClient& client, std::string body, int requests)
      : client_(client), body_(std::move(body)), to_start_(requests), remaining_(requests) {}

  // Starts `concurrency` streams and waits until every request has ended.
  void Run(int concurrency) {
    for (int i = 0; i < concurrency; ++i) StartNext();
    std::unique_lock lock(mu_);
    for (;;) {
      done_.wait(lock, [&] { return remaining_ == 0 || !finished_.empty(); });
      // Released here, not inside their own callbacks, and outside the lock: destroying a
      // handle waits for its stream's callback to return, which may be waiting for this lock.
      std::vector<std::unique_ptr<runtime::StreamHandle>> release;
      for (int index : finished_) {
        auto it = handles_.find(index);
        release.push_back(std::move(it->second));
        handles_.erase(it);
      }
      finished_.clear();
      const bool all_done = remaining_ == 0;
      lock.unlock();
      release.clear();
      if (all_done) return;
      lock.lock();
    }
  }

  [[nodiscard]] int64_t items() const { return items_.load(); }
  [[nodiscard]] int ok() const { return ok_; }
  [[nodiscard]] int failed() const { return failed_; }
  [[nodiscard]] const std::string& first_error() const { return first_error_; }

 private:
  void StartNext() {
    int index;
    {
      std::lock_guard lock(mu_);
      if (to_start_ == 0) return;
      index = to_start_--;
    }
    runtime::StreamCallbacks callbacks{
        .on_item = [this](const std::string&) { items_.fetch_add(1, std::memory_order_relaxed); },
        .on_end = [this, index](const Status& end) { Ended(index, end); }};
    auto handle = client_.RoundRobin({}, body_, std::move(callbacks));
    if (!handle.ok()) {
      Ended(index, handle.status());
      return;
    }
    std::lock_guard lock(mu_);
    if (ended_early_.erase(index) == 0) handles_.emplace(index, std::move(*handle));
  }

  void Ended(int index, const Status& end) {
    {
      std::lock_guard lock(mu_);
      if (end.ok()) {
        ++ok_;
      } else {
        ++failed_;
        if (first_error_.empty()) first_error_ = end.ToString();
      }
      if (handles_.contains(index)) {
        finished_.push_back(index);
      } else {
        ended_early_.insert(index);  // ended before Generate returned its handle
      }
    }
    StartNext();
    std::lock_guard lock(mu_);
    --remaining_;
    done_.notify_one();
  }

  runtime::EndpointClient& client_;
  const std::string body_;
  std::atomic<int64_t> items_{0};
  std::mutex mu_;
  std::condition_variable done_;
  int to_start_;
  int remaining_;
  int ok_ = 0;
  int failed_ = 0;
  std::string first_error_;
  std::map<int, std::unique_ptr<runtime::StreamHandle>> handles_;
  std::vector<int> finished_;
  std::set<int> ended_early_;
};

}  // namespace

int RunLoad(runtime::EndpointClient& client, const std::string& body, int requests,
            int concurrency) {
  Load load(client, body, requests);
  auto start = std::chrono::steady_clock::now();
  load.Run(concurrency);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  boost::json::object summary{
      {"requests", requests},
      {"ok", load.ok()},
      {"failed", load.failed()},
      {"items", load.items()},
      {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()},
      {"requests_per_second", std::llround(requests / seconds)},
      {"items_per_second", std::llround(static_cast<double>(load.items()) / seconds)},
      {"first_error", load.first_error()}};
  std::string line = boost::json::serialize(summary);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return load.failed() == 0 ? 0 : 1;
}

}  // namespace dynobs::app
