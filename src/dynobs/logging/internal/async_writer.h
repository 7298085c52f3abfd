#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "dynobs/logging/record.h"

namespace dynobs::logging::internal {

struct WriterOptions {
  int fd = 2;
  // The ring's size. Records other than ERROR may fill it only up to 7/8, so that ERROR lines are
  // the last to be dropped.
  size_t capacity_bytes = size_t{4} << 20;
  // Tests: called on the writer thread before each write(2) (block in it to stall the writer),
  // and a pause before each write(2) (a slow stderr).
  std::function<void()> before_write;
  std::chrono::microseconds write_delay{0};
};

// Records dropped because the ring was full, by level (index: Level value - 1).
struct DropCounts {
  std::array<uint64_t, 5> by_level{};
  [[nodiscard]] uint64_t total() const;
  [[nodiscard]] uint64_t of(Level level) const { return by_level[static_cast<size_t>(level) - 1]; }
};

// Formats the line that says how many records were dropped (on the writer thread).
using DropNoticeFormatter = std::function<void(const DropCounts& dropped, std::string* out)>;

// A bounded asynchronous writer: callers copy whole lines into a byte ring under a short
// critical section (a memcpy); one writer thread writes them to the fd. A caller never waits for
// the fd: a line that does not fit is dropped and counted, and once output resumes the writer
// writes one notice line (DropNoticeFormatter) with the counts since the last notice. Lines are
// never torn: each is written whole, in order, by the one thread.
//
// The writer batches: after a write it naps for up to 10 ms before writing again, so a steady
// stream of lines costs at most 100 wake-ups a second (a thread wake-up costs tens of
// microseconds on small VMs; 1 ms naps cost a busy frontend ~20 % more CPU per request, see
// docs/performance.md). A caller wakes it only when it sleeps (idle for a whole nap), when the
// ring is more than 1/16 full, or for an ERROR line. A fatal signal writes what is buffered.
//
// Before Start and after Stop, Append writes synchronously (under a lock, so lines stay whole).
// Thread-safe. The object must outlive its thread (Stop, or the destructor, joins it).
class AsyncWriter {
 public:
  AsyncWriter() = default;
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;
  ~AsyncWriter();

  // (Re)starts with `options`: a running writer is stopped first (flushing for up to 2 s).
  void Start(WriterOptions options, DropNoticeFormatter notice);

  // Copies `line` (one or more whole lines) into the ring. Returns false if it was dropped.
  bool Append(Level level, std::string_view line);

  // Waits until everything appended before the call has been written, and the drop notice with
  // it, for at most `timeout`. Returns whether it got there.
  bool Flush(std::chrono::milliseconds timeout);

  // Flushes (for at most `timeout`), then ends the writer thread. Later Appends write
  // synchronously. What could not be written within `timeout` is discarded.
  void Stop(std::chrono::milliseconds timeout);

  // Cumulative drop counts since Start.
  [[nodiscard]] DropCounts dropped() const;

  // For a fatal-signal handler: writes what is buffered and not yet written, with write(2) and
  // no locks (async-signal-safe). A batch the writer thread is writing at that moment may appear
  // twice.
  void WriteBufferedForCrash() const;

 private:
  enum class Idle : uint8_t { kNo, kNapping, kSleeping };

  void Run();
  void WriteBatch(std::unique_lock<std::mutex>& lock);
  void WriteDropNotice(std::unique_lock<std::mutex>& lock);
  void WakeLocked();
  void WriteAll(const char* data, size_t size) const;

  mutable std::mutex mu_;
  std::condition_variable wake_cv_;     // the writer waits for work
  std::condition_variable drained_cv_;  // Flush waits for the writer
  WriterOptions options_;
  DropNoticeFormatter notice_;
  std::unique_ptr<char[]> ring_;
  std::atomic<char*> ring_data_{nullptr};  // ring_, for the crash path
  std::atomic<size_t> capacity_{0};
  std::atomic<int> fd_{2};  // options_.fd, readable without mu_ (synchronous and crash writes)
  std::atomic<uint64_t> head_{0};  // next byte to write (positions grow forever)
  std::atomic<uint64_t> tail_{0};  // next byte to fill
  uint64_t completed_ = 0;         // everything before it written, and the notice after it
  DropCounts pending_drops_;       // not yet reported by a notice
  uint64_t notice_after_ = 0;      // the tail when the first of pending_drops_ was dropped
  DropCounts total_drops_;
  Idle idle_ = Idle::kNo;
  bool wake_ = false;
  bool stop_ = false;
  bool running_ = false;
  std::mutex sync_mu_;  // synchronous writes when no thread runs
  std::thread thread_;
};

}  // namespace dynobs::logging::internal
