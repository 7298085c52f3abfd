#pragma once

namespace dynobs::app {

// SIGINT and SIGTERM as a value to wait on. Block() must run before any thread starts (threads
// inherit the mask), so that no thread is killed by the signal; Wait() returns the signal number.
class ShutdownSignal {
 public:
  static void Block();
  [[nodiscard]] static int Wait();
};

}  // namespace dynobs::app
