#pragma once

#include <memory>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"

namespace dynobs::app {

// Logging, tracing and OTLP export, set up the same way by every dynobs process from the
// environment (DYN_LOG and the other DYN_LOG* settings, OTEL_*). Holding the object keeps export
// running; destroying it flushes what is queued (within a bound) and stops the export threads,
// then flushes the log.
class Telemetry {
 public:
  // Reads the settings; a bad value stops the process with one line naming it (exit 2).
  static std::unique_ptr<Telemetry> InitOrExit(const env::Reader& env);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

 private:
  struct Export;
  Telemetry();
  std::unique_ptr<Export> export_;
};

// Flushes the log (so that warnings logged so far are not lost), then prints the one-line
// configuration error and exits 2.
[[noreturn]] void ExitWithConfigError(const Status& status);

}  // namespace dynobs::app
