#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace dynobs::logging {

// Log records in Dynamo's readable shape (spec §7.1):
//   2026-11-25T03:24:29.123456Z  INFO dynobs::runtime: message key=value
// written whole to stderr, one line per record, so that lines from many threads never interleave.
enum class Level : uint8_t { kError = 1, kWarn = 2, kInfo = 3, kDebug = 4, kTrace = 5 };

[[nodiscard]] std::string_view LevelName(Level level);  // "ERROR", "WARN", ...
// "error", "warn", "info", "debug", "trace" (any case); "warning" as warn.
[[nodiscard]] std::optional<Level> ParseLevel(std::string_view text);

// A typed field, rendered as key=value.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

void SetMaxLevel(Level level);
[[nodiscard]] bool Enabled(Level level);

void Write(Level level, std::string_view target, std::string_view message,
           std::initializer_list<Field> fields = {});

// Applies DYN_LOG's default level (a bare level word such as `info` or `debug`; `target=level`
// directives are for the full filter). Returns a description of a word it could not read.
[[nodiscard]] std::optional<std::string> ConfigureLevel(std::string_view dyn_log);

// Routes the metrics layer's diagnostics (duplicate series, series limits) into this log.
void InstallMetricsDiagnostics();

}  // namespace dynobs::logging

#define DYNOBS_LOG(level, target, message, ...)                                                  \
  do {                                                                                           \
    if (::dynobs::logging::Enabled(::dynobs::logging::Level::level)) {                           \
      ::dynobs::logging::Write(::dynobs::logging::Level::level, target, message, {__VA_ARGS__}); \
    }                                                                                            \
  } while (0)
