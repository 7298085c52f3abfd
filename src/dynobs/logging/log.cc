#include "dynobs/logging/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "dynobs/metrics/diagnostics.h"

namespace dynobs::logging {
namespace {

std::atomic<Level> g_max_level{Level::kInfo};

void AppendTimestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
  std::time_t secs = static_cast<std::time_t>(micros.count() / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 micros.count() % 1000000);
}

void MetricsSink(metrics::Severity severity, std::string_view message,
                 std::initializer_list<metrics::Field> fields) {
  Level level = severity == metrics::Severity::kError  ? Level::kError
                : severity == metrics::Severity::kWarn ? Level::kWarn
                                                       : Level::kInfo;
  if (!Enabled(level)) return;
  std::string line;
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    line += v;
  }
  std::string text(message);
  Write(level, "dynobs::metrics", text + line);
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kError:
      return "ERROR";
    case Level::kWarn:
      return "WARN";
    case Level::kInfo:
      return "INFO";
    case Level::kDebug:
      return "DEBUG";
    case Level::kTrace:
      return "TRACE";
  }
  return "INFO";
}

std::optional<Level> ParseLevel(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "error") return Level::kError;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "info") return Level::kInfo;
  if (lower == "debug") return Level::kDebug;
  if (lower == "trace") return Level::kTrace;
  return std::nullopt;
}

void SetMaxLevel(Level level) { g_max_level.store(level, std::memory_order_relaxed); }

bool Enabled(Level level) { return level <= g_max_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view target, std::string_view message,
           std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  AppendTimestamp(line);
  fmt::format_to(std::back_inserter(line), " {:>5} {}: {}", LevelName(level), target, message);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    line += f.value;
  }
  line += '\n';
  // One write(2) per line: the kernel keeps each line whole.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::optional<std::string> ConfigureLevel(std::string_view dyn_log) {
  std::optional<std::string> problem;
  while (!dyn_log.empty()) {
    size_t comma = dyn_log.find(',');
    std::string_view item = dyn_log.substr(0, comma);
    dyn_log = comma == std::string_view::npos ? std::string_view() : dyn_log.substr(comma + 1);
    if (item.empty() || item.find('=') != std::string_view::npos) continue;
    if (auto level = ParseLevel(item)) {
      SetMaxLevel(*level);
    } else if (!problem) {
      problem = fmt::format("DYN_LOG: ignoring \"{}\" (expected error, warn, info, debug or trace)",
                            item);
    }
  }
  return problem;
}

void InstallMetricsDiagnostics() { metrics::SetDiagnosticSink(&MetricsSink); }

}  // namespace dynobs::logging
