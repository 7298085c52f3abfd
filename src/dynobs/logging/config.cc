#include "dynobs/logging/config.h"

#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace dynobs::logging {
namespace {

Status ReadFlag(const env::Reader& env, std::string_view name, bool* out) {
  auto v = env.Bool(name);
  if (!v.ok()) return v.status();
  if (v->has_value()) *out = **v;
  return Status::Ok();
}

// DYN_LOGGING_JSONL (Dynamo's switch) and DYN_LOGGING_CONSOLE_FORMAT (its later name) must agree
// when both are set.
Status ReadFormat(const env::Reader& env, LogFormat* out) {
  auto jsonl = env.Bool("DYN_LOGGING_JSONL");
  if (!jsonl.ok()) return jsonl.status();
  std::optional<LogFormat> by_name;
  if (auto name = env.String("DYN_LOGGING_CONSOLE_FORMAT")) {
    std::string lower = *name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "readable") {
      by_name = LogFormat::kReadable;
    } else if (lower == "jsonl") {
      by_name = LogFormat::kJsonl;
    } else {
      return env::InvalidSetting("DYN_LOGGING_CONSOLE_FORMAT", *name, "readable or jsonl");
    }
  }
  std::optional<LogFormat> by_flag;
  if (jsonl->has_value()) by_flag = **jsonl ? LogFormat::kJsonl : LogFormat::kReadable;
  if (by_flag && by_name && *by_flag != *by_name) {
    return InvalidArgumentError(fmt::format(
        "invalid DYN_LOGGING_CONSOLE_FORMAT=\"{}\": DYN_LOGGING_JSONL=\"{}\" asks for the other "
        "format; set one of them, or both to the same format",
        *env.String("DYN_LOGGING_CONSOLE_FORMAT"), *env.String("DYN_LOGGING_JSONL")));
  }
  *out = by_name.value_or(by_flag.value_or(LogFormat::kReadable));
  return Status::Ok();
}

}  // namespace

StatusOr<LoggingConfig> LoadLoggingConfig(const env::Reader& env) {
  LoggingConfig c;
  if (auto dyn_log = env.String("DYN_LOG")) c.directives = ParseDirectives(*dyn_log, &c.warnings);
  if (Status s = ReadFormat(env, &c.format); !s.ok()) return s;
  for (auto [name, flag] : {std::pair{"DYN_LOG_USE_LOCAL_TZ", &c.local_time},
                            std::pair{"DYN_SDK_DISABLE_ANSI_LOGGING", &c.disable_ansi},
                            std::pair{"DYN_LOGGING_SPAN_EVENTS", &c.span_events},
                            std::pair{"DYN_LOG_PAYLOADS", &c.payloads}}) {
    if (Status s = ReadFlag(env, name, flag); !s.ok()) return s;
  }
  auto bytes = env.Int("DYN_LOGGING_BUFFER_BYTES", static_cast<int64_t>(kMinBufferBytes),
                       static_cast<int64_t>(kMaxBufferBytes));
  if (!bytes.ok()) return bytes.status();
  if (bytes->has_value()) c.buffer_bytes = static_cast<size_t>(**bytes);
  return c;
}

}  // namespace dynobs::logging
