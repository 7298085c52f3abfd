#include "dynobs/tracing/otlp/retry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

namespace dynobs::otlp {
namespace {

std::optional<int> Number(std::string_view s) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<int64_t> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  auto day = Number(s.substr(5, 2));
  auto year = Number(s.substr(12, 4));
  auto hour = Number(s.substr(17, 2));
  auto minute = Number(s.substr(20, 2));
  auto second = Number(s.substr(23, 2));
  if (month == kMonths.end() || !day || !year || !hour || !minute || !second) return std::nullopt;
  using namespace std::chrono;
  year_month_day date{std::chrono::year(*year),
                      std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
                      std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  auto t = sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

int64_t RetryPolicy::BackoffMs(int retry, uint64_t random) const {
  int64_t d = initial_backoff_ms;
  for (int i = 1; i < retry && d < max_backoff_ms; ++i) d *= 2;
  d = std::min(d, max_backoff_ms);
  int64_t half = d / 2;
  return half + static_cast<int64_t>(random % static_cast<uint64_t>(d - half + 1));
}

bool IsRetryableHttpStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool IsRetryableGrpcCode(int code, bool has_retry_info) {
  switch (code) {
    case 1:   // CANCELLED
    case 4:   // DEADLINE_EXCEEDED
    case 10:  // ABORTED
    case 11:  // OUT_OF_RANGE
    case 14:  // UNAVAILABLE
    case 15:  // DATA_LOSS
      return true;
    case 8:  // RESOURCE_EXHAUSTED
      return has_retry_info;
    default:
      return false;
  }
}

std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!value.empty() && value.front() >= '0' && value.front() <= '9') {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || ptr != value.data() + value.size() || seconds > 86400 * 365) {
      return std::nullopt;
    }
    return seconds * 1000;
  }
  auto at = ParseImfFixdate(value);
  if (!at) return std::nullopt;
  return std::max<int64_t>(0, *at - now_unix_ms);
}

}  // namespace dynobs::otlp
