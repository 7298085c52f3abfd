#pragma once

#include <string>
#include <vector>

#include "dynobs/logging/config.h"
#include "dynobs/logging/internal/temp_file_for_test.h"
#include "dynobs/logging/log.h"

namespace dynobs::logging::internal {

// Tests only: points the process's logging at a temp file for the test's lifetime, then back to
// stderr (before the file closes).
class LogCapture {
 public:
  explicit LogCapture(LoggingConfig config = Jsonl()) {
    config.fd = file_.fd();
    config.install_signal_handlers = false;
    InitLogging(config);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() {
    LoggingConfig defaults;
    defaults.install_signal_handlers = false;
    InitLogging(defaults);
  }

  static LoggingConfig Jsonl() {
    LoggingConfig c;
    c.format = LogFormat::kJsonl;
    return c;
  }

  // Everything written so far, after a flush.
  [[nodiscard]] std::vector<std::string> Lines() const {
    EXPECT_TRUE(Flush());
    return file_.Lines();
  }

 private:
  TempFile file_;
};

}  // namespace dynobs::logging::internal
