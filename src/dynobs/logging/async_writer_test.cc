#include "dynobs/logging/internal/async_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "dynobs/logging/internal/temp_file_for_test.h"

namespace dynobs::logging::internal {
namespace {

using std::chrono::milliseconds;

// Holds the writer thread in before_write until opened.
class Gate {
 public:
  void Pass() {
    std::unique_lock lock(mu_);
    if (!entered_) {
      entered_ = true;
      entered_promise_.set_value();
    }
    cv_.wait(lock, [&] { return open_; });
  }
  void WaitUntilEntered() { entered_promise_.get_future().wait(); }
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
  std::promise<void> entered_promise_;
};

void Notice(const DropCounts& d, std::string* out) {
  *out += fmt::format("dropped total={} error={} warn={} info={} debug={} trace={}\n", d.total(),
                      d.of(Level::kError), d.of(Level::kWarn), d.of(Level::kInfo),
                      d.of(Level::kDebug), d.of(Level::kTrace));
}

// A 100-byte line.
std::string Line(std::string_view tag, int i) {
  std::string s = fmt::format("{} {:05}", tag, i);
  s.resize(99, '.');
  return s + "\n";
}

TEST(AsyncWriterTest, WritesEverythingInOrderAndStopFlushes) {
  TempFile file;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 1 << 20}, &Notice);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(w.Append(Level::kInfo, Line("info", i)));
  w.Stop(milliseconds(5000));
  auto lines = file.Lines();
  ASSERT_EQ(lines.size(), 5000u);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(lines[i] + "\n", Line("info", i));
  EXPECT_EQ(w.dropped().total(), 0u);
}

TEST(AsyncWriterTest, FlushWaitsForWhatWasAppended) {
  TempFile file;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 1 << 20, .write_delay = milliseconds(20)}, &Notice);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.Append(Level::kInfo, Line("x", i)));
  ASSERT_TRUE(w.Flush(milliseconds(5000)));
  EXPECT_EQ(file.Lines().size(), 10u);
}

TEST(AsyncWriterTest, FullBufferDropsAndCountsPerLevelButKeepsRoomForErrors) {
  TempFile file;
  Gate gate;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 8192, .before_write = [&] { gate.Pass(); }}, &Notice);
  ASSERT_TRUE(w.Append(Level::kInfo, Line("first", 0)));
  gate.WaitUntilEntered();  // the writer is stuck: a stderr that does not drain

  // Everything but ERROR may fill 7/8 of 8192 bytes: 71 lines of 100 bytes, "first" included.
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += w.Append(Level::kInfo, Line("info", i)) ? 1 : 0;
  EXPECT_EQ(accepted, 70);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(w.Append(Level::kDebug, Line("debug", i)));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(w.Append(Level::kWarn, Line("warn", i)));
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(w.Append(Level::kTrace, Line("trace", i)));
  // ERROR lines still fit in the reserved eighth.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(w.Append(Level::kError, Line("error", i))) << i;
  EXPECT_FALSE(w.Append(Level::kError, Line("error", 10)));  // now truly full

  DropCounts d = w.dropped();
  EXPECT_EQ(d.of(Level::kInfo), 30u);
  EXPECT_EQ(d.of(Level::kDebug), 7u);
  EXPECT_EQ(d.of(Level::kWarn), 3u);
  EXPECT_EQ(d.of(Level::kTrace), 2u);
  EXPECT_EQ(d.of(Level::kError), 1u);

  gate.Open();
  ASSERT_TRUE(w.Flush(milliseconds(5000)));
  auto lines = file.Lines();
  ASSERT_EQ(lines.size(), 1u + 70u + 10u + 1u);
  EXPECT_EQ(lines[0] + "\n", Line("first", 0));
  EXPECT_EQ(lines[70] + "\n", Line("info", 69));
  EXPECT_EQ(lines[80] + "\n", Line("error", 9));
  EXPECT_EQ(lines[81], "dropped total=43 error=1 warn=3 info=30 debug=7 trace=2");

  // Output has resumed: no more drops, so no second notice.
  ASSERT_TRUE(w.Append(Level::kInfo, Line("after", 0)));
  ASSERT_TRUE(w.Flush(milliseconds(5000)));
  lines = file.Lines();
  ASSERT_EQ(lines.size(), 83u);
  EXPECT_EQ(lines[82] + "\n", Line("after", 0));
}

TEST(AsyncWriterTest, ALineLargerThanTheBufferIsDropped) {
  TempFile file;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 4096}, &Notice);
  EXPECT_FALSE(w.Append(Level::kInfo, std::string(5000, 'x') + "\n"));
  EXPECT_TRUE(w.Append(Level::kInfo, "small\n"));
  ASSERT_TRUE(w.Flush(milliseconds(5000)));
  EXPECT_EQ(file.Read(), "small\ndropped total=1 error=0 warn=0 info=1 debug=0 trace=0\n");
}

TEST(AsyncWriterTest, WrapsAroundTheRing) {
  TempFile file;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 4096}, &Notice);
  int appended = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = fmt::format("{}:{}\n", i, std::string(static_cast<size_t>(i % 97), 'w'));
    if (w.Append(Level::kInfo, line)) {
      ++appended;
    } else {
      std::this_thread::yield();
    }
  }
  w.Stop(milliseconds(5000));
  int seen = 0;
  int last = -1;
  for (const std::string& line : file.Lines()) {
    if (line.starts_with("dropped")) continue;
    size_t colon = line.find(':');
    ASSERT_NE(colon, std::string::npos) << line;
    int i = std::stoi(line.substr(0, colon));
    EXPECT_GT(i, last);
    EXPECT_EQ(line.size() - colon - 1, static_cast<size_t>(i % 97)) << line;
    last = i;
    ++seen;
  }
  EXPECT_EQ(seen, appended);
  EXPECT_EQ(static_cast<uint64_t>(appended) + w.dropped().total(), 20000u);
}

TEST(AsyncWriterTest, AfterStopAppendWritesSynchronously) {
  TempFile file;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 4096}, &Notice);
  w.Stop(milliseconds(5000));
  EXPECT_TRUE(w.Append(Level::kInfo, "late\n"));
  EXPECT_EQ(file.Read(), "late\n");
}

TEST(AsyncWriterTest, CrashPathWritesWhatIsBuffered) {
  TempFile file;
  Gate gate;
  AsyncWriter w;
  w.Start({.fd = file.fd(), .capacity_bytes = 8192, .before_write = [&] { gate.Pass(); }}, &Notice);
  ASSERT_TRUE(w.Append(Level::kInfo, "one\n"));
  gate.WaitUntilEntered();
  ASSERT_TRUE(w.Append(Level::kError, "two\n"));
  w.WriteBufferedForCrash();
  EXPECT_EQ(file.Read(), "one\ntwo\n");
  gate.Open();
}

TEST(AsyncWriterTest, ManyThreadsThroughAPipeNeverTearLines) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string received;
  std::thread reader([&] {
    char buf[1 << 16];
    for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) received.append(buf, n);
  });
  constexpr int kThreads = 8;
  constexpr int kLines = 20000;
  {
    AsyncWriter w;
    w.Start({.fd = fds[1], .capacity_bytes = 1 << 20}, &Notice);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&w, t] {
        for (int i = 0; i < kLines; ++i) {
          std::string line = fmt::format("t{} i{} {}\n", t, i, std::string(64 + i % 50, 'p'));
          (void)w.Append(i % 10 == 0 ? Level::kError : Level::kInfo, line);
        }
      });
    }
    for (auto& t : threads) t.join();
    w.Stop(milliseconds(10000));
    uint64_t dropped = w.dropped().total();
    close(fds[1]);
    reader.join();
    std::set<std::pair<int, int>> seen;
    std::stringstream s(received);
    uint64_t notices_total = 0;
    for (std::string line; std::getline(s, line);) {
      if (line.starts_with("dropped total=")) {
        notices_total += std::stoull(line.substr(14));
        continue;
      }
      int t = -1;
      int i = -1;
      ASSERT_EQ(std::sscanf(line.c_str(), "t%d i%d", &t, &i), 2) << line;
      std::string tail = line.substr(line.rfind(' ') + 1);
      ASSERT_EQ(tail, std::string(64 + i % 50, 'p')) << line;  // whole, not torn
      ASSERT_TRUE(seen.emplace(t, i).second) << "twice: " << line;
    }
    EXPECT_EQ(seen.size() + dropped, static_cast<uint64_t>(kThreads) * kLines);
    EXPECT_EQ(notices_total, dropped);
  }
  close(fds[0]);
}

}  // namespace
}  // namespace dynobs::logging::internal
