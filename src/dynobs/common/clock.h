#pragma once

#include <chrono>
#include <cstdint>

namespace dynobs {

// Nanoseconds on the monotonic clock: durations, timeouts.
[[nodiscard]] inline int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the Unix epoch: timestamps that cross processes.
[[nodiscard]] inline int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dynobs
