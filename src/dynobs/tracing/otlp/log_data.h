#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/logging/field.h"
#include "dynobs/logging/record.h"

namespace dynobs::otlp {

// A log record owned by the export queue: what the OTLP log sink copies out of a LogRecord, whose
// views are only valid during OnRecord. All text (target, file, message, field keys and string
// values) lives in one string, so a copy costs two allocations whatever the number of fields.
//
// A value type: movable and copyable; not synchronized.
class LogData {
 public:
  using Kind = logging::FieldValue::Kind;

  struct Field {
    uint32_t key_offset = 0;
    uint32_t key_size = 0;
    Kind kind = Kind::kString;
    uint32_t text_offset = 0;  // kString, kJson
    uint32_t text_size = 0;
    union {
      bool b;
      int64_t i;
      uint64_t u;
      double d;
    };
    Field() : i(0) {}
  };

  LogData() = default;
  // Copies `record` (and its span's trace and span ids). `observed_unix_nanos` is the time the
  // record reached the exporter. A time of 0 takes the other one; both 0: the current time.
  LogData(const logging::LogRecord& record, int64_t observed);

  [[nodiscard]] std::string_view target() const { return View(0, target_size_); }
  [[nodiscard]] std::string_view file() const { return View(target_size_, file_size_); }
  [[nodiscard]] std::string_view message() const {
    return View(target_size_ + file_size_, message_size_);
  }
  [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
  [[nodiscard]] std::string_view key(const Field& f) const {
    return View(f.key_offset, f.key_size);
  }
  [[nodiscard]] std::string_view text(const Field& f) const {
    return View(f.text_offset, f.text_size);
  }

  int64_t time_unix_nanos = 0;
  int64_t observed_unix_nanos = 0;
  logging::Level level = logging::Level::kInfo;
  uint32_t line = 0;
  bool in_span = false;  // trace_id and span_id are set
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};

 private:
  void CopyField(const logging::Field& in, Field* out);
  [[nodiscard]] std::string_view View(uint32_t offset, uint32_t size) const {
    return std::string_view(text_).substr(offset, size);
  }

  std::string text_;
  uint32_t target_size_ = 0;
  uint32_t file_size_ = 0;
  uint32_t message_size_ = 0;
  std::vector<Field> fields_;
};

// OTLP SeverityNumber and SeverityText of a level: ERROR 17, WARN 13, INFO 9, DEBUG 5, TRACE 1.
[[nodiscard]] int SeverityNumber(logging::Level level);
[[nodiscard]] std::string_view SeverityText(logging::Level level);

}  // namespace dynobs::otlp
