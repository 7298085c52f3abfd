#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dynobs/common/status.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::metrics {

// The process families every Prometheus client library exports, read from /proc at scrape time:
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds.
Status RegisterProcessMetrics(Registry& registry);

struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// Reads the current process's figures. Exposed for tests.
[[nodiscard]] StatusOr<ProcessStats> ReadProcessStats();

// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses).
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_ticks = 0;
  uint64_t vsize_bytes = 0;
  int64_t rss_pages = 0;
};
[[nodiscard]] std::optional<ProcStat> ParseProcStat(std::string_view text);

}  // namespace dynobs::metrics
