#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/logging/record.h"
#include "dynobs/runtime/discovery/instance.h"

// Helpers for the discovery tests: temp dirs, waiting on a condition, recording watch callbacks
// and log records. Test-only.
namespace dynobs::runtime::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls `condition` every 5 ms until it holds (true) or `timeout` passes (false).
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A port the kernel picked as free on 127.0.0.1 (bound, then released).
int UnusedLoopbackPort();

// An instance of dynamo/backend/generate (or `endpoint`) with a model.
Instance MakeInstance(uint64_t id, std::string endpoint = "generate");

// The ids of a set, in order.
std::vector<uint64_t> Ids(const std::vector<Instance>& set);

// Records every set a watch callback receives. Thread-safe.
class WatchRecorder {
 public:
  void operator()(const std::vector<Instance>& set);
  std::function<void(const std::vector<Instance>&)> Callback() {
    return [this](const std::vector<Instance>& set) { (*this)(set); };
  }
  // Waits until the latest set has exactly these ids.
  bool WaitForIds(const std::vector<uint64_t>& ids,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  [[nodiscard]] std::vector<std::vector<uint64_t>> History() const;
  [[nodiscard]] size_t calls() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<uint64_t>> history_;
};

// Captures the log records of target dynobs::discovery while alive.
class LogCapture final : public logging::RecordSink {
 public:
  struct Entry {
    logging::Level level;
    std::string message;
    std::string fields;  // "key=value key=value"
  };
  LogCapture();
  ~LogCapture() override;
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  void OnRecord(const logging::LogRecord& record) override;
  // How many records had exactly this message.
  [[nodiscard]] size_t Count(std::string_view message) const;
  bool WaitForCount(std::string_view message, size_t count,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
  [[nodiscard]] std::vector<Entry> Entries() const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace dynobs::runtime::testing
