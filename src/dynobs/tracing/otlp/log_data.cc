#include "dynobs/tracing/otlp/log_data.h"

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/internal/id_bytes.h"

namespace dynobs::otlp {

LogData::LogData(const logging::LogRecord& record, int64_t observed)
    : time_unix_nanos(record.time_unix_nanos),
      observed_unix_nanos(observed),
      level(record.level),
      line(record.line) {
  if (time_unix_nanos == 0) time_unix_nanos = observed != 0 ? observed : WallNanos();
  if (observed_unix_nanos == 0) observed_unix_nanos = time_unix_nanos;
  size_t total = record.target.size() + record.file.size() + record.message.size();
  for (const logging::Field& f : record.fields) {
    total += f.key.size();
    auto kind = f.value.kind();
    if (kind == Kind::kString || kind == Kind::kJson) total += f.value.as_string().size();
  }
  text_.reserve(total);
  text_.append(record.target).append(record.file).append(record.message);
  target_size_ = static_cast<uint32_t>(record.target.size());
  file_size_ = static_cast<uint32_t>(record.file.size());
  message_size_ = static_cast<uint32_t>(record.message.size());
  fields_.resize(record.fields.size());
  for (size_t n = 0; n < record.fields.size(); ++n) CopyField(record.fields[n], &fields_[n]);
  if (record.span != nullptr && !internal::IsZeroId(record.span->trace_id) &&
      !internal::IsZeroId(record.span->span_id)) {
    in_span = true;
    trace_id = record.span->trace_id;
    span_id = record.span->span_id;
  }
}

void LogData::CopyField(const logging::Field& in, Field* out) {
  out->key_offset = static_cast<uint32_t>(text_.size());
  out->key_size = static_cast<uint32_t>(in.key.size());
  text_.append(in.key);
  out->kind = in.value.kind();
  switch (out->kind) {
    case Kind::kBool:
      out->b = in.value.as_bool();
      break;
    case Kind::kInt:
      out->i = in.value.as_int();
      break;
    case Kind::kUint:
      out->u = in.value.as_uint();
      break;
    case Kind::kDouble:
      out->d = in.value.as_double();
      break;
    case Kind::kString:
    case Kind::kJson:
      out->text_offset = static_cast<uint32_t>(text_.size());
      out->text_size = static_cast<uint32_t>(in.value.as_string().size());
      text_.append(in.value.as_string());
      break;
  }
}

int SeverityNumber(logging::Level level) {
  switch (level) {
    case logging::Level::kError:
      return 17;
    case logging::Level::kWarn:
      return 13;
    case logging::Level::kInfo:
      return 9;
    case logging::Level::kDebug:
      return 5;
    case logging::Level::kTrace:
      return 1;
  }
  return 0;
}

std::string_view SeverityText(logging::Level level) {
  switch (level) {
    case logging::Level::kError:
      return "ERROR";
    case logging::Level::kWarn:
      return "WARN";
    case logging::Level::kInfo:
      return "INFO";
    case logging::Level::kDebug:
      return "DEBUG";
    case logging::Level::kTrace:
      return "TRACE";
  }
  return "";
}

}  // namespace dynobs::otlp
