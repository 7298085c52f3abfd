#include "dynobs/logging/log.h"

#include <gtest/gtest.h>

namespace dynobs::logging {
namespace {

TEST(LogTest, ParsesLevels) {
  EXPECT_EQ(ParseLevel("INFO"), Level::kInfo);
  EXPECT_EQ(ParseLevel("warning"), Level::kWarn);
  EXPECT_EQ(ParseLevel("trace"), Level::kTrace);
  EXPECT_FALSE(ParseLevel("verbose").has_value());
}

TEST(LogTest, ConfigureLevelTakesTheBareLevelAndReportsUnknownWords) {
  EXPECT_FALSE(ConfigureLevel("warn,dynamo_llm=debug").has_value());
  EXPECT_TRUE(Enabled(Level::kWarn));
  EXPECT_FALSE(Enabled(Level::kInfo));
  auto problem = ConfigureLevel("loud");
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem, "DYN_LOG: ignoring \"loud\" (expected error, warn, info, debug or trace)");
  EXPECT_FALSE(ConfigureLevel("debug").has_value());
  EXPECT_TRUE(Enabled(Level::kDebug));
  EXPECT_FALSE(Enabled(Level::kTrace));
  SetMaxLevel(Level::kInfo);
}

TEST(LogTest, WritesOneReadableLine) {
  testing::internal::CaptureStderr();
  Write(Level::kWarn, "dynobs::test", "hello", {{"port", 8081}, {"ok", true}});
  std::string out = testing::internal::GetCapturedStderr();
  // 2026-11-25T03:24:29.123456Z  WARN dynobs::test: hello port=8081 ok=true
  ASSERT_EQ(out.size(), 27 + std::string("  WARN dynobs::test: hello port=8081 ok=true\n").size());
  EXPECT_EQ(out.substr(27), "  WARN dynobs::test: hello port=8081 ok=true\n");
  EXPECT_EQ(out[10], 'T');
  EXPECT_EQ(out[26], 'Z');
}

}  // namespace
}  // namespace dynobs::logging
