#include "dynobs/logging/internal/async_writer.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace dynobs::logging::internal {
namespace {

constexpr auto kNap = std::chrono::milliseconds(10);
constexpr size_t kMaxWrite = size_t{256} << 10;  // per write(2): frees ring space as it goes
constexpr auto kRestartFlush = std::chrono::seconds(2);

size_t LevelIndex(Level level) {
  auto i = static_cast<size_t>(level);
  return i >= 1 && i <= 5 ? i - 1 : 2;
}

// Writes everything, retrying short writes and EINTR, waiting for a non-blocking fd to become
// writable; gives up on other errors (a closed stderr must not wedge the writer).
// Async-signal-safe.
void WriteFully(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return;
  }
}

}  // namespace

uint64_t DropCounts::total() const {
  uint64_t sum = 0;
  for (uint64_t n : by_level) sum += n;
  return sum;
}

AsyncWriter::~AsyncWriter() { Stop(kRestartFlush); }

void AsyncWriter::Start(WriterOptions options, DropNoticeFormatter notice) {
  Stop(kRestartFlush);
  std::lock_guard lock(mu_);
  options_ = std::move(options);
  fd_.store(options_.fd);
  notice_ = std::move(notice);
  size_t capacity = std::max<size_t>(options_.capacity_bytes, 1024);
  ring_ = std::make_unique_for_overwrite<char[]>(capacity);
  ring_data_.store(ring_.get(), std::memory_order_release);
  capacity_.store(capacity, std::memory_order_release);
  head_.store(0);
  tail_.store(0);
  completed_ = 0;
  pending_drops_ = {};
  total_drops_ = {};
  idle_ = Idle::kNo;
  wake_ = false;
  stop_ = false;
  running_ = true;
  // The writer thread takes no process-directed signals (SIGTERM must reach the thread that
  // waits for it; SIGPIPE from a closed stderr becomes EPIPE). Faults stay deliverable.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigdelset(&all, sig);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

bool AsyncWriter::Append(Level level, std::string_view line) {
  std::unique_lock lock(mu_);
  if (!running_) {
    lock.unlock();
    std::lock_guard sync(sync_mu_);
    WriteAll(line.data(), line.size());
    return true;
  }
  size_t capacity = capacity_.load(std::memory_order_relaxed);
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  size_t used = tail - head_.load(std::memory_order_relaxed);
  size_t limit = level == Level::kError ? capacity : capacity - capacity / 8;
  if (line.size() > limit - std::min(used, limit)) {
    if (pending_drops_.total() == 0) notice_after_ = tail;
    ++pending_drops_.by_level[LevelIndex(level)];
    ++total_drops_.by_level[LevelIndex(level)];
    return false;
  }
  size_t offset = tail % capacity;
  size_t first = std::min(line.size(), capacity - offset);
  std::memcpy(ring_.get() + offset, line.data(), first);
  std::memcpy(ring_.get(), line.data() + first, line.size() - first);
  tail_.store(tail + line.size(), std::memory_order_release);
  bool wake =
      idle_ == Idle::kSleeping ||
      (idle_ == Idle::kNapping && (used + line.size() > capacity / 16 || level == Level::kError));
  if (wake) WakeLocked();
  lock.unlock();
  if (wake) wake_cv_.notify_one();
  return true;
}

void AsyncWriter::WakeLocked() {
  wake_ = true;
  idle_ = Idle::kNo;
}

bool AsyncWriter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!running_) return true;
  uint64_t target = tail_.load(std::memory_order_relaxed);
  auto done = [&] { return completed_ >= target && pending_drops_.total() == 0; };
  if (done()) return true;
  WakeLocked();
  wake_cv_.notify_one();
  return drained_cv_.wait_for(lock, timeout, done);
}

void AsyncWriter::Stop(std::chrono::milliseconds timeout) {
  bool flushed = Flush(timeout);
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;  // from now on Append writes synchronously
    stop_ = true;
    if (!flushed) {  // give up on what is left
      head_.store(tail_.load());
      pending_drops_ = {};
    }
    WakeLocked();
  }
  wake_cv_.notify_one();
  thread_.join();
}

DropCounts AsyncWriter::dropped() const {
  std::lock_guard lock(mu_);
  return total_drops_;
}

void AsyncWriter::Run() {
  std::unique_lock lock(mu_);
  bool wrote = false;
  for (;;) {
    bool work = tail_.load() != head_.load() || pending_drops_.total() > 0;
    if (work) {
      WriteBatch(lock);
      wrote = true;
      continue;
    }
    if (completed_ != tail_.load()) {
      completed_ = tail_.load();
      drained_cv_.notify_all();
    }
    if (stop_) return;
    idle_ = wrote ? Idle::kNapping : Idle::kSleeping;
    wake_ = false;
    if (wrote) {
      wake_cv_.wait_for(lock, kNap, [&] { return wake_ || stop_; });
    } else {
      wake_cv_.wait(lock, [&] { return wake_ || stop_; });
    }
    idle_ = Idle::kNo;
    wrote = false;
  }
}

void AsyncWriter::WriteBatch(std::unique_lock<std::mutex>& lock) {
  uint64_t target = tail_.load();
  size_t capacity = capacity_.load();
  for (uint64_t head = head_.load(); head < target; head = head_.load()) {
    size_t offset = head % capacity;
    size_t n = std::min<uint64_t>({target - head, capacity - offset, kMaxWrite});
    lock.unlock();
    if (options_.before_write) options_.before_write();
    if (options_.write_delay.count() > 0) std::this_thread::sleep_for(options_.write_delay);
    WriteAll(ring_.get() + offset, n);
    lock.lock();
    if (head_.load() == head) head_.store(head + n, std::memory_order_release);
  }
  WriteDropNotice(lock);
  completed_ = std::max(completed_, target);
  drained_cv_.notify_all();
}

void AsyncWriter::WriteDropNotice(std::unique_lock<std::mutex>& lock) {
  // The notice goes after the lines that were buffered when the first drop happened.
  DropCounts dropped = pending_drops_;
  if (dropped.total() == 0 || head_.load() < notice_after_) return;
  pending_drops_ = {};
  lock.unlock();
  std::string line;
  if (notice_) notice_(dropped, &line);
  WriteAll(line.data(), line.size());
  lock.lock();
}

void AsyncWriter::WriteAll(const char* data, size_t size) const {
  WriteFully(fd_.load(std::memory_order_relaxed), data, size);
}

void AsyncWriter::WriteBufferedForCrash() const {
  char* ring = ring_data_.load(std::memory_order_acquire);
  size_t capacity = capacity_.load(std::memory_order_acquire);
  uint64_t head = head_.load(std::memory_order_acquire);
  uint64_t tail = tail_.load(std::memory_order_acquire);
  if (ring == nullptr || capacity == 0 || tail - head > capacity) return;
  while (head < tail) {
    size_t offset = head % capacity;
    size_t n = std::min<uint64_t>(tail - head, capacity - offset);
    WriteFully(fd_.load(std::memory_order_relaxed), ring + offset, n);
    head += n;
  }
}

}  // namespace dynobs::logging::internal
