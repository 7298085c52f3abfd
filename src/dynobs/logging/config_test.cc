#include "dynobs/logging/config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace dynobs::logging {
namespace {

StatusOr<LoggingConfig> Load(std::map<std::string, std::string, std::less<>> vars) {
  return LoadLoggingConfig(env::Reader(env::MapSource(std::move(vars))));
}

TEST(LoggingConfigTest, Defaults) {
  auto c = Load({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->directives.empty());
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_EQ(c->format, LogFormat::kReadable);
  EXPECT_FALSE(c->local_time);
  EXPECT_FALSE(c->disable_ansi);
  EXPECT_FALSE(c->span_events);
  EXPECT_FALSE(c->payloads);
  EXPECT_EQ(c->buffer_bytes, size_t{4} << 20);
  EXPECT_EQ(c->fd, 2);
}

TEST(LoggingConfigTest, ReadsEverySetting) {
  auto c = Load({{"DYN_LOG", "warn,dynobs::http=debug"},
                 {"DYN_LOGGING_JSONL", "true"},
                 {"DYN_LOG_USE_LOCAL_TZ", "1"},
                 {"DYN_SDK_DISABLE_ANSI_LOGGING", "yes"},
                 {"DYN_LOGGING_SPAN_EVENTS", "ON"},
                 {"DYN_LOG_PAYLOADS", "1"},
                 {"DYN_LOGGING_BUFFER_BYTES", "65536"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<Directive> want = {{"", 2}, {"dynobs::http", 4}};
  EXPECT_EQ(c->directives, want);
  EXPECT_EQ(c->format, LogFormat::kJsonl);
  EXPECT_TRUE(c->local_time);
  EXPECT_TRUE(c->disable_ansi);
  EXPECT_TRUE(c->span_events);
  EXPECT_TRUE(c->payloads);
  EXPECT_EQ(c->buffer_bytes, 65536u);
}

TEST(LoggingConfigTest, InvalidDirectivesAreWarningsNotErrors) {
  auto c = Load({{"DYN_LOG", "info,dynobs=loud"}});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("dynobs=loud"), std::string::npos);
  EXPECT_EQ(c->directives.size(), 1u);
}

TEST(LoggingConfigTest, BooleansThatAreNeitherTruthyNorFalseyFail) {
  for (const char* name :
       {"DYN_LOGGING_JSONL", "DYN_LOG_USE_LOCAL_TZ", "DYN_SDK_DISABLE_ANSI_LOGGING",
        "DYN_LOGGING_SPAN_EVENTS", "DYN_LOG_PAYLOADS"}) {
    auto c = Load({{name, "maybe"}});
    ASSERT_FALSE(c.ok()) << name;
    EXPECT_EQ(c.status().message(), std::string("invalid ") + name +
                                        "=\"maybe\": expected one of 1, true, on, yes, 0, "
                                        "false, off, no");
  }
}

TEST(LoggingConfigTest, ConsoleFormat) {
  EXPECT_EQ(Load({{"DYN_LOGGING_CONSOLE_FORMAT", "jsonl"}})->format, LogFormat::kJsonl);
  EXPECT_EQ(Load({{"DYN_LOGGING_CONSOLE_FORMAT", "JSONL"}})->format, LogFormat::kJsonl);
  EXPECT_EQ(Load({{"DYN_LOGGING_CONSOLE_FORMAT", "readable"}})->format, LogFormat::kReadable);
  EXPECT_EQ(Load({{"DYN_LOGGING_CONSOLE_FORMAT", "jsonl"}, {"DYN_LOGGING_JSONL", "1"}})->format,
            LogFormat::kJsonl);
  EXPECT_EQ(
      Load({{"DYN_LOGGING_CONSOLE_FORMAT", "readable"}, {"DYN_LOGGING_JSONL", "false"}})->format,
      LogFormat::kReadable);
  EXPECT_EQ(Load({{"DYN_LOGGING_JSONL", "0"}})->format, LogFormat::kReadable);

  auto bad = Load({{"DYN_LOGGING_CONSOLE_FORMAT", "pretty"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "invalid DYN_LOGGING_CONSOLE_FORMAT=\"pretty\": expected readable or jsonl");
  auto conflict = Load({{"DYN_LOGGING_CONSOLE_FORMAT", "readable"}, {"DYN_LOGGING_JSONL", "1"}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().message(),
            "invalid DYN_LOGGING_CONSOLE_FORMAT=\"readable\": DYN_LOGGING_JSONL=\"1\" asks for "
            "the other format; set one of them, or both to the same format");
}

TEST(LoggingConfigTest, BufferSizeRange) {
  auto small = Load({{"DYN_LOGGING_BUFFER_BYTES", "1024"}});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().message(),
            "invalid DYN_LOGGING_BUFFER_BYTES=\"1024\": expected an integer in "
            "65536..1073741824");
  EXPECT_FALSE(Load({{"DYN_LOGGING_BUFFER_BYTES", "4MiB"}}).ok());
}

TEST(LoggingConfigTest, EmptyValuesAreUnset) {
  auto c = Load({{"DYN_LOGGING_JSONL", ""}, {"DYN_LOG", ""}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->format, LogFormat::kReadable);
  EXPECT_TRUE(c->directives.empty());
}

}  // namespace
}  // namespace dynobs::logging
