#pragma once

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/runtime/request_plane/stream.h"

namespace dynobs::llm::testing {

inline constexpr auto kWait = std::chrono::seconds(5);

// Collects one stream's items and its end, for tests.
class StreamCollector {
 public:
  runtime::StreamCallbacks Callbacks() {
    return {.on_item =
                [this](std::string item) {
                  std::lock_guard lock(mu_);
                  items_.push_back(std::move(item));
                  if (items_.size() == 1) first_.set_value();
                },
            .on_end = [this](Status end) { end_.set_value(std::move(end)); }};
  }
  // The end status, or an INTERNAL "timeout".
  Status WaitEnd(std::chrono::milliseconds timeout = kWait) {
    auto f = end_.get_future();
    if (f.wait_for(timeout) != std::future_status::ready) return InternalError("timeout");
    return f.get();
  }
  bool WaitFirst(std::chrono::milliseconds timeout = kWait) {
    return first_.get_future().wait_for(timeout) == std::future_status::ready;
  }
  std::vector<std::string> items() {
    std::lock_guard lock(mu_);
    return items_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> items_;
  std::promise<void> first_;
  std::promise<Status> end_;
};

}  // namespace dynobs::llm::testing
