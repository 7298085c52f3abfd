#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace dynobs {

// One thread that runs posted tasks in order, behind a bounded queue. For work that must stay
// off the io threads (rendering a large /metrics) without letting callers pile up work without
// bound: TryPost refuses when the queue is full, and the caller answers "busy".
//
// Thread safety: TryPost may be called from any thread. The destructor runs the tasks already
// queued, then joins.
class SerialExecutor {
 public:
  SerialExecutor(std::string name, size_t max_queued);
  ~SerialExecutor();
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  [[nodiscard]] bool TryPost(std::function<void()> task);

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dynobs
