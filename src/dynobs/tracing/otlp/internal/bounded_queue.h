#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace dynobs::otlp::internal {

// A bounded multi-producer, single-consumer queue without locks (Dmitry Vyukov's bounded MPMC
// queue with one consumer): each slot carries a sequence number that says whether it is free
// for the producer whose ticket it is, or full for the consumer. A push claims a ticket with one
// compare-and-swap and never waits: when `capacity` items are queued, TryPush fails at once.
// Slots are allocated once (capacity rounded up to a power of two); items are moved in and out,
// so memory is bounded by capacity items (plus what a moved-from item keeps, which for strings
// and vectors is nothing).
//
// Thread safety: TryPush from any thread; TryPop from one consumer thread at a time.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity)
      : capacity_(capacity),
        mask_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity) - 1),
        slots_(new Slot[mask_ + 1]) {
    for (size_t i = 0; i <= mask_; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Moves `item` in and returns the queue's length after it, or leaves `item` alone and returns
  // 0 when the queue is full.
  size_t TryPush(T&& item) {
    for (;;) {
      // head before tail: then head <= pos always holds.
      uint64_t head = head_.load(std::memory_order_acquire);
      uint64_t pos = tail_.load(std::memory_order_relaxed);
      if (pos - head >= capacity_) return 0;
      Slot& slot = slots_[pos & mask_];
      uint64_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq == pos) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          slot.value = std::move(item);
          slot.seq.store(pos + 1, std::memory_order_release);
          return static_cast<size_t>(pos + 1 - head);
        }
      } else if (static_cast<int64_t>(seq - pos) < 0) {
        return 0;  // the slot still holds an item the consumer has not taken
      }
    }
  }

  // Moves the oldest item into `out`; false when the queue is empty (or the next producer has
  // claimed its slot but not yet filled it).
  bool TryPop(T& out) {
    uint64_t pos = head_.load(std::memory_order_relaxed);
    Slot& slot = slots_[pos & mask_];
    if (slot.seq.load(std::memory_order_acquire) != pos + 1) return false;
    out = std::move(slot.value);  // leaves the slot's strings and vectors empty
    slot.seq.store(pos + mask_ + 1, std::memory_order_release);
    head_.store(pos + 1, std::memory_order_release);
    return true;
  }

  // Items pushed / popped since construction; pushed() - popped() is the (approximate) length.
  [[nodiscard]] uint64_t pushed() const { return tail_.load(std::memory_order_acquire); }
  [[nodiscard]] uint64_t popped() const { return head_.load(std::memory_order_acquire); }
  [[nodiscard]] size_t size() const { return static_cast<size_t>(pushed() - popped()); }
  [[nodiscard]] size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    std::atomic<uint64_t> seq{0};
    T value{};
  };
  static constexpr size_t kLine = 64;

  const size_t capacity_;
  const size_t mask_;
  const std::unique_ptr<Slot[]> slots_;
  alignas(kLine) std::atomic<uint64_t> tail_{0};  // producers
  alignas(kLine) std::atomic<uint64_t> head_{0};  // the consumer
};

}  // namespace dynobs::otlp::internal
