#include <time.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "dynobs/logging/format.h"
#include "dynobs/logging/internal/text.h"

namespace dynobs::logging {
namespace {

// The formatted date and offset of one second, per thread: most records of a busy thread fall
// in the same second as the previous one.
struct SecondCache {
  int64_t second = std::numeric_limits<int64_t>::min();
  bool local = false;
  char prefix[32] = {};  // YYYY-MM-DDTHH:MM:SS
  size_t prefix_len = 0;
  char suffix[16] = {};  // Z or +HH:MM
  size_t suffix_len = 0;
};

void Recompute(SecondCache& c, int64_t second, bool local) {
  c.second = second;
  c.local = local;
  time_t t = static_cast<time_t>(second);
  struct tm tm {};
  if (local) {
    localtime_r(&t, &tm);
  } else {
    gmtime_r(&t, &tm);
  }
  int n =
      std::snprintf(c.prefix, sizeof(c.prefix), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  c.prefix_len = static_cast<size_t>(std::max(n, 0));
  if (!local) {
    c.suffix[0] = 'Z';
    c.suffix_len = 1;
    return;
  }
  long offset_min = tm.tm_gmtoff / 60;  // NOLINT(google-runtime-int): struct tm's type
  char sign = offset_min < 0 ? '-' : '+';
  if (offset_min < 0) offset_min = -offset_min;
  n = std::snprintf(c.suffix, sizeof(c.suffix), "%c%02ld:%02ld", sign, offset_min / 60,
                    offset_min % 60);
  c.suffix_len = static_cast<size_t>(std::max(n, 0));
}

}  // namespace

namespace internal {

char* WriteTimestamp(char* out, int64_t unix_nanos, bool local_time) {
  constexpr int64_t kNanosPerSecond = 1000000000;
  int64_t second = unix_nanos / kNanosPerSecond;
  int64_t rem = unix_nanos % kNanosPerSecond;
  if (rem < 0) {
    rem += kNanosPerSecond;
    --second;
  }
  thread_local SecondCache cache;
  if (cache.second != second || cache.local != local_time) Recompute(cache, second, local_time);
  std::memcpy(out, cache.prefix, cache.prefix_len);
  out += cache.prefix_len;
  *out = '.';
  auto micros = static_cast<uint32_t>(rem / 1000);
  for (int i = 6; i >= 1; --i) {
    out[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  out += 7;
  std::memcpy(out, cache.suffix, cache.suffix_len);
  return out + cache.suffix_len;
}

}  // namespace internal

void AppendTimestamp(int64_t unix_nanos, bool local_time, std::string* out) {
  char buf[internal::kTimestampBound];
  char* end = internal::WriteTimestamp(buf, unix_nanos, local_time);
  out->append(buf, end);
}

void AppendJsonl(const LogRecord& record, const FormatOptions& options, std::string* out) {
  thread_local internal::LineBuffer buf;
  buf.clear();
  internal::WriteJsonl(record, options, &buf);
  out->append(buf.view());
}

void AppendReadable(const LogRecord& record, const FormatOptions& options, std::string* out) {
  thread_local internal::LineBuffer buf;
  buf.clear();
  internal::WriteReadable(record, options, &buf);
  out->append(buf.view());
}

}  // namespace dynobs::logging
