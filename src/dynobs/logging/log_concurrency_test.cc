// The logger under load: many threads, a stalled stderr, a crash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dynobs/logging/internal/json.h"
#include "dynobs/logging/internal/log_capture_for_test.h"
#include "dynobs/logging/log.h"
#include "dynobs/metrics/exposition.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::logging {
namespace {

using internal::LogCapture;

constexpr const char* kTarget = "dynobs::load_test";

TEST(LogConcurrencyTest, EightThreadsEveryLineOnceAndWhole) {
  constexpr int kThreads = 8;
  constexpr int kLines = 20000;
  LoggingConfig config = LogCapture::Jsonl();
  config.buffer_bytes = size_t{64} << 20;  // more than the whole output: nothing may be dropped
  LogCapture capture(config);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) {
        DYNOBS_LOG(kInfo, kTarget, "load line", {"t", t}, {"i", i}, {"ok", true},
                   {"text", "the quick brown fox \"jumps\" over the lazy dog"}, {"ratio", 0.25});
      }
    });
  }
  for (auto& t : threads) t.join();
  auto lines = capture.Lines();
  EXPECT_EQ(DroppedRecords(Level::kInfo), 0u);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads) * kLines);
  std::set<std::pair<int, int>> seen;
  for (const std::string& line : lines) {
    ASSERT_TRUE(internal::IsValidJson(line)) << line;
    int t = -1;
    int i = -1;
    size_t at = line.find(R"(,"i":)");
    ASSERT_NE(at, std::string::npos) << line;
    ASSERT_EQ(std::sscanf(line.c_str() + at, R"(,"i":%d,)", &i), 1) << line;
    at = line.find(R"(,"t":)");
    ASSERT_EQ(std::sscanf(line.c_str() + at, R"(,"t":%d,)", &t), 1) << line;
    ASSERT_TRUE(seen.emplace(t, i).second) << "twice: " << line;
  }
  EXPECT_EQ(seen.size(), lines.size());
}

class Gate {
 public:
  void Pass() {
    std::unique_lock lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void WaitUntilEntered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

uint64_t DroppedMetric(std::string_view level) {
  std::string text = metrics::ScrapeText(*metrics::SelfMetricsRegistry());
  std::string series =
      "dynamo_logging_dropped_records_total{level=\"" + std::string(level) + "\"} ";
  size_t at = text.find(series);
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + series.size()));
}

TEST(LogConcurrencyTest, StalledStderrDropsInfoKeepsErrorsAndSaysSoAfterwards) {
  Gate gate;
  LoggingConfig config = LogCapture::Jsonl();
  config.buffer_bytes = 64 << 10;
  config.test_before_write = [&] { gate.Pass(); };
  uint64_t info_before = DroppedMetric("info");
  uint64_t error_before = DroppedMetric("error");
  {
    LogCapture capture(config);
    DYNOBS_LOG(kInfo, kTarget, "first");
    gate.WaitUntilEntered();
    for (int i = 0; i < 2000; ++i) DYNOBS_LOG(kInfo, kTarget, "filler", {"i", i});
    for (int i = 0; i < 20; ++i) DYNOBS_LOG(kError, kTarget, "important", {"i", i});
    uint64_t dropped_info = DroppedRecords(Level::kInfo);
    EXPECT_GT(dropped_info, 1000u);
    EXPECT_EQ(DroppedRecords(Level::kError), 0u);
    EXPECT_EQ(DroppedMetric("info") - info_before, dropped_info);
    EXPECT_EQ(DroppedMetric("error"), error_before);
    gate.Open();

    auto lines = capture.Lines();
    size_t errors = 0;
    for (const auto& l : lines) errors += l.find("\"important\"") != std::string::npos ? 1 : 0;
    EXPECT_EQ(errors, 20u);
    ASSERT_FALSE(lines.empty());
    const std::string& notice = lines.back();
    EXPECT_NE(notice.find(R"("level":"WARN","target":"dynobs::logging","message":"log records )"
                          R"(dropped: stderr did not keep up)"),
              std::string::npos)
        << notice;
    EXPECT_NE(notice.find(R"("dropped":)" + std::to_string(dropped_info) +
                          R"(,"dropped_debug":0,"dropped_error":0,"dropped_info":)" +
                          std::to_string(dropped_info) + R"(,"dropped_trace":0,"dropped_warn":0})"),
              std::string::npos)
        << notice;
    EXPECT_EQ(lines.size(), 1 + (2000 - dropped_info) + 20 + 1);
  }
}

TEST(LogConcurrencyTest, ShutdownFlushesEverything) {
  LoggingConfig config = LogCapture::Jsonl();
  config.test_write_delay = std::chrono::milliseconds(2);
  LogCapture capture(config);
  for (int i = 0; i < 3000; ++i) DYNOBS_LOG(kInfo, kTarget, "line", {"i", i});
  Shutdown();
  DYNOBS_LOG(kInfo, kTarget, "after shutdown: written synchronously");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 3001u);
  EXPECT_NE(lines.back().find("after shutdown"), std::string::npos);
}

// A fatal signal writes what is still buffered before the process dies of it.
TEST(LogConcurrencyDeathTest, FatalSignalFlushesTheBuffer) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string path = ::testing::TempDir() + "dynobs_fatal_signal_test.log";
  unlink(path.c_str());
  EXPECT_EXIT(
      {
        LoggingConfig config = LogCapture::Jsonl();
        config.fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        config.install_signal_handlers = true;
        config.test_before_write = [] { std::this_thread::sleep_for(std::chrono::hours(1)); };
        InitLogging(config);
        for (int i = 0; i < 3; ++i) DYNOBS_LOG(kError, kTarget, "before the crash", {"i", i});
        abort();
      },
      ::testing::KilledBySignal(SIGABRT), "");
  FILE* f = fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;) text.append(buf, n);
  fclose(f);
  unlink(path.c_str());
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(text.find(R"("message":"before the crash","i":)" + std::to_string(i) + "}"),
              std::string::npos)
        << text;
  }
}

}  // namespace
}  // namespace dynobs::logging
