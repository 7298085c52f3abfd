#include "dynobs/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace dynobs::metrics {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<uint64_t> BootTimeSeconds() {
  auto text = ReadFile("/proc/stat");
  if (!text) return std::nullopt;
  size_t pos = text->find("\nbtime ");
  if (pos == std::string::npos) return std::nullopt;
  uint64_t v = 0;
  const char* begin = text->data() + pos + 7;
  std::from_chars(begin, text->data() + text->size(), v);
  return v;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields from 3 (state) on
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest = rest.substr(start);
    size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (fields.size() < 22) return std::nullopt;
  auto field = [&](int number, auto& out) {  // number as in proc(5), 1-based
    std::string_view f = fields[static_cast<size_t>(number - 3)];
    return std::from_chars(f.data(), f.data() + f.size(), out).ec == std::errc();
  };
  ProcStat s;
  if (!field(14, s.utime_ticks) || !field(15, s.stime_ticks) || !field(22, s.start_ticks) ||
      !field(23, s.vsize_bytes) || !field(24, s.rss_pages)) {
    return std::nullopt;
  }
  return s;
}

StatusOr<ProcessStats> ReadProcessStats() {
  auto text = ReadFile("/proc/self/stat");
  if (!text) return UnavailableError("cannot read /proc/self/stat");
  auto stat = ParseProcStat(*text);
  if (!stat) return InternalError("cannot parse /proc/self/stat");
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  static const std::optional<uint64_t> boot = BootTimeSeconds();
  ProcessStats p;
  p.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks;
  p.resident_bytes = static_cast<double>(stat->rss_pages) * page;
  p.virtual_bytes = static_cast<double>(stat->vsize_bytes);
  p.start_time_seconds =
      static_cast<double>(boot.value_or(0)) + static_cast<double>(stat->start_ticks) / ticks;
  p.open_fds = CountOpenFds();
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) p.max_fds = static_cast<double>(lim.rlim_cur);
  return p;
}

Status RegisterProcessMetrics(Registry& registry) {
  // One read of /proc per scrape: the update callback fills `latest`, the gauges read it.
  struct Latest {
    std::mutex mu;
    ProcessStats stats;
  };
  auto latest = std::make_shared<Latest>();
  registry.AddUpdateCallback([latest]() -> Status {
    auto stats = ReadProcessStats();
    if (!stats.ok()) return stats.status();
    std::lock_guard lock(latest->mu);
    latest->stats = *stats;
    return Status::Ok();
  });
  auto reader = [latest](double ProcessStats::*field) {
    return [latest, field] {
      std::lock_guard lock(latest->mu);
      return latest->stats.*field;
    };
  };
  Status s =
      registry.CreateCallbackCounter({.name = "process_cpu_seconds_total",
                                      .help = "Total user and system CPU time spent in seconds."},
                                     reader(&ProcessStats::cpu_seconds));
  if (!s.ok()) return s;
  struct GaugeDef {
    const char* name;
    const char* help;
    double ProcessStats::*field;
  };
  const GaugeDef gauges[] = {
      {"process_resident_memory_bytes", "Resident memory size in bytes.",
       &ProcessStats::resident_bytes},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.",
       &ProcessStats::virtual_bytes},
      {"process_open_fds", "Number of open file descriptors.", &ProcessStats::open_fds},
      {"process_max_fds", "Maximum number of open file descriptors.", &ProcessStats::max_fds},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       &ProcessStats::start_time_seconds},
  };
  for (const auto& g : gauges) {
    s = registry.CreateCallbackGauge({.name = g.name, .help = g.help}, reader(g.field));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace dynobs::metrics
