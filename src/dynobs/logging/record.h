#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "dynobs/logging/field.h"
#include "dynobs/logging/span_info.h"

namespace dynobs::logging {

enum class Level : uint8_t { kError = 1, kWarn = 2, kInfo = 3, kDebug = 4, kTrace = 5 };

// One log event as the logger hands it to formatters and sinks. Everything is a view, valid only
// for the duration of the call that receives the record.
struct LogRecord {
  int64_t time_unix_nanos = 0;
  Level level = Level::kInfo;
  std::string_view target;   // module path, e.g. "dynobs::runtime::system_status_server"
  std::string_view file;     // empty when unknown
  uint32_t line = 0;         // 0 when unknown
  std::string_view message;  // "SPAN_FIRST_ENTRY" / "SPAN_CLOSED" for span events
  std::span<const Field> fields;
  const SpanInfo* span = nullptr;  // the current span, if any
};

// Receives every record that passes the filter, on the emitting thread, after redaction. Must not
// block (the OTLP log exporter enqueues into its bounded batch queue). Installed at start-up.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnRecord(const LogRecord& record) = 0;
};

// Adds a sink; every later record that passes the filter reaches it, on the emitting thread,
// with sensitive field values already replaced (redaction.h). The sink must outlive its
// registration. At most 8 sinks. Records that a sink itself logs from OnRecord go to the log
// output but not back to the sinks. Thread-safe (a relaxed load per record when none is set).
void AddRecordSink(RecordSink* sink);
// Removes a sink added before (tests, shutdown). A record being delivered at that moment may
// still reach it; the caller keeps the sink alive until such a record has been delivered.
void RemoveRecordSink(RecordSink* sink);

}  // namespace dynobs::logging
