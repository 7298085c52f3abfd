#include "dynobs/metrics/process_metrics.h"

#include <gtest/gtest.h>

#include <ctime>

#include "dynobs/metrics/exposition.h"

namespace dynobs::metrics {
namespace {

TEST(ProcessMetricsTest, ParsesStatWithSpacesAndParensInName) {
  std::string stat =
      "1234 (my (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 "
      "98765 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  auto s = ParseProcStat(stat);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->utime_ticks, 250u);
  EXPECT_EQ(s->stime_ticks, 50u);
  EXPECT_EQ(s->start_ticks, 98765u);
  EXPECT_EQ(s->vsize_bytes, 104857600u);
  EXPECT_EQ(s->rss_pages, 2560);
  EXPECT_FALSE(ParseProcStat("garbage").has_value());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2").has_value());
}

TEST(ProcessMetricsTest, ReadsPlausibleValues) {
  auto p = ReadProcessStats();
  ASSERT_TRUE(p.ok());
  EXPECT_GT(p->resident_bytes, 1e5);
  EXPECT_GT(p->virtual_bytes, p->resident_bytes);
  EXPECT_GE(p->open_fds, 3);
  EXPECT_GT(p->max_fds, p->open_fds);
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(p->start_time_seconds, now - 3600);
  EXPECT_LE(p->start_time_seconds, now + 1);
}

TEST(ProcessMetricsTest, RegistersTheStandardFamilies) {
  Registry r;
  ASSERT_TRUE(RegisterProcessMetrics(r).ok());
  std::string text = ScrapeText(r);
  for (const char* family :
       {"# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_virtual_memory_bytes gauge", "# TYPE process_open_fds gauge",
        "# TYPE process_max_fds gauge", "# TYPE process_start_time_seconds gauge"}) {
    EXPECT_NE(text.find(family), std::string::npos) << family;
  }
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
}

}  // namespace
}  // namespace dynobs::metrics
