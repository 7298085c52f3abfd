#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/logging/filter.h"

namespace dynobs::logging {

enum class LogFormat : uint8_t { kReadable, kJsonl };

// Everything InitLogging needs. LoadLoggingConfig fills the first group from the environment;
// the second is how the process (or a test) wires the output.
struct LoggingConfig {
  std::vector<Directive> directives;  // DYN_LOG, in order (the fixed ones are added by the filter)
  std::vector<std::string> warnings;  // invalid DYN_LOG directives; InitLogging logs each once
  LogFormat format = LogFormat::kReadable;  // DYN_LOGGING_JSONL / DYN_LOGGING_CONSOLE_FORMAT
  bool local_time = false;                  // DYN_LOG_USE_LOCAL_TZ
  bool disable_ansi = false;                // DYN_SDK_DISABLE_ANSI_LOGGING
  bool span_events = false;                 // DYN_LOGGING_SPAN_EVENTS
  bool payloads = false;                    // DYN_LOG_PAYLOADS
  size_t buffer_bytes = size_t{4} << 20;    // DYN_LOGGING_BUFFER_BYTES

  int fd = 2;                           // where lines go; colours only when it is a terminal
  bool install_signal_handlers = true;  // flush on SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT
  // Tests: stall or slow the writer thread (see internal::WriterOptions).
  std::function<void()> test_before_write;
  std::chrono::microseconds test_write_delay{0};
};

inline constexpr size_t kMinBufferBytes = size_t{64} << 10;
inline constexpr size_t kMaxBufferBytes = size_t{1} << 30;

// Reads DYN_LOG, DYN_LOGGING_JSONL, DYN_LOGGING_CONSOLE_FORMAT (readable | jsonl),
// DYN_LOG_USE_LOCAL_TZ, DYN_SDK_DISABLE_ANSI_LOGGING, DYN_LOGGING_SPAN_EVENTS, DYN_LOG_PAYLOADS
// and DYN_LOGGING_BUFFER_BYTES (65536 .. 1073741824). Errors (decided difference 1), each naming
// the variable, the value and what is accepted: a boolean that is neither truthy nor falsey, an
// unknown console format, DYN_LOGGING_JSONL and DYN_LOGGING_CONSOLE_FORMAT set to disagreeing
// formats, a buffer size out of range. Invalid DYN_LOG directives are not errors (Dynamo's filter
// is lossy): they are skipped and listed in `warnings`.
[[nodiscard]] StatusOr<LoggingConfig> LoadLoggingConfig(const env::Reader& env);

}  // namespace dynobs::logging
