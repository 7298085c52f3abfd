#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::metrics::internal {

// CellSpace: where counter and histogram values live.
//
// Every counter series, and every bucket and the sum of a histogram series, owns a "slot": an
// index into a process-wide space of 64-bit cells. Each thread that records gets its own copy of
// the cells it touches (chunks of kChunkCells, allocated on that thread's first write to the
// chunk), and only that thread writes them: a record is a plain load, add and store, with no lock
// prefix and no sharing of cache lines between threads. A scrape sums, per slot, the copies of all
// live threads plus what exited threads left behind (folded into `retired_` when they exit).
//
// Thread safety: Add*() may be called from any thread at any time. Allocate() and Snapshot() take
// the space's mutex. A thread's first write to a chunk allocates that chunk (once per thread per
// 4096 slots); every later write allocates nothing and takes no lock.
inline constexpr uint32_t kChunkBits = 12;
inline constexpr uint32_t kChunkCells = 1u << kChunkBits;
inline constexpr uint32_t kChunkMask = kChunkCells - 1;
inline constexpr uint32_t kMaxChunks = 4096;  // 16M slots in all

// How the 64 bits of a slot are summed: as an unsigned integer or as the bits of a double.
enum class CellKind : uint8_t { kUnused = 0, kUint = 1, kDouble = 2 };

struct Chunk {
  std::atomic<uint64_t> cells[kChunkCells] = {};
};

class ThreadCells {
 public:
  ThreadCells() = default;
  ~ThreadCells();
  ThreadCells(const ThreadCells&) = delete;
  ThreadCells& operator=(const ThreadCells&) = delete;

  // The chunk holding `slot`, allocated if this thread never wrote to it.
  Chunk* ChunkFor(uint32_t slot) {
    Chunk* c = chunks_[slot >> kChunkBits].load(std::memory_order_relaxed);
    return c != nullptr ? c : AllocateChunk(slot >> kChunkBits);
  }
  [[nodiscard]] const Chunk* PeekChunk(uint32_t index) const {
    return chunks_[index].load(std::memory_order_acquire);
  }
  [[nodiscard]] Chunk* PeekMutableChunk(uint32_t index) {
    return chunks_[index].load(std::memory_order_acquire);
  }

 private:
  Chunk* AllocateChunk(uint32_t index);
  std::atomic<Chunk*> chunks_[kMaxChunks] = {};
};

extern thread_local ThreadCells* tls_cells;
ThreadCells* RegisterCurrentThread();

inline ThreadCells* CurrentThreadCells() {
  ThreadCells* t = tls_cells;
  return t != nullptr ? t : RegisterCurrentThread();
}

// Single-writer add: only the owning thread writes these cells.
inline void AddUint(std::atomic<uint64_t>& cell, uint64_t v) {
  cell.store(cell.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}
inline void AddDouble(std::atomic<uint64_t>& cell, double v) {
  double cur = std::bit_cast<double>(cell.load(std::memory_order_relaxed));
  cell.store(std::bit_cast<uint64_t>(cur + v), std::memory_order_relaxed);
}

inline void AddUint(uint32_t slot, uint64_t v) {
  AddUint(CurrentThreadCells()->ChunkFor(slot)->cells[slot & kChunkMask], v);
}
inline void AddDouble(uint32_t slot, double v) {
  AddDouble(CurrentThreadCells()->ChunkFor(slot)->cells[slot & kChunkMask], v);
}

// The totals of the chunks one scrape needs. Kept by a Scraper across scrapes so that its
// buffers are reused; only chunks asked for in the last Snapshot() hold meaningful values.
class CellSnapshot {
 public:
  [[nodiscard]] uint64_t operator[](uint32_t slot) const {
    return chunks_[slot >> kChunkBits][slot & kChunkMask];
  }
  // Marks the chunk of `slot` as needed by the next Snapshot().
  void Want(uint32_t slot) {
    uint32_t ci = slot >> kChunkBits;
    if (ci >= wanted_.size()) wanted_.resize(ci + 1, 0);
    wanted_[ci] = 1;
  }
  void ClearWanted() { std::fill(wanted_.begin(), wanted_.end(), 0); }

 private:
  friend class CellSpace;
  std::vector<uint8_t> wanted_;
  std::vector<std::unique_ptr<uint64_t[]>> chunks_;
};

class CellSpace {
 public:
  // The process-wide space. Never destroyed, so that threads exiting after main() returns can
  // still fold their cells.
  static CellSpace& Get();

  // Reserves `count` consecutive slots, all inside one chunk (count <= kChunkCells), so that a
  // histogram's cells are reached through one chunk pointer. All are of `kind` but the last,
  // which is of `last_kind` (a histogram's sum). Fails when the space is full.
  [[nodiscard]] StatusOr<uint32_t> Allocate(uint32_t count, CellKind kind, CellKind last_kind);
  [[nodiscard]] StatusOr<uint32_t> Allocate(uint32_t count, CellKind kind) {
    return Allocate(count, kind, kind);
  }

  // Sums the wanted chunks' slots over all threads into `snapshot`. Values of double slots are
  // stored as the bits of the double sum. Costs (wanted chunks) x (threads) x 4096 adds.
  void Snapshot(CellSnapshot* snapshot);

  // Gives back slots that no series uses any more (their family is gone): zeroes them in every
  // thread and lets Allocate() hand them out again for a run of the same length. A handle still
  // pointing at them must not be used after this.
  void Release(uint32_t start, uint32_t count);

  // One slot's current total. Slow (takes the mutex, visits every thread); for tests and tools.
  [[nodiscard]] uint64_t ReadUint(uint32_t slot);
  [[nodiscard]] double ReadDouble(uint32_t slot);

  [[nodiscard]] uint32_t allocated_slots();

 private:
  friend ThreadCells* RegisterCurrentThread();
  friend class ThreadExitHook;
  CellSpace() = default;

  void AddThread(ThreadCells* t);
  void RetireThread(ThreadCells* t);  // folds t's cells into retired_ and forgets t
  [[nodiscard]] CellKind KindOf(uint32_t slot) const {
    return kinds_[slot >> kChunkBits][slot & kChunkMask];
  }

  void SumChunk(uint32_t ci, uint64_t* out);

  std::mutex mu_;
  uint32_t next_slot_ = 0;
  std::map<uint32_t, std::vector<uint32_t>> free_runs_;  // run length -> starts
  std::vector<ThreadCells*> threads_;
  ThreadCells retired_;
  std::unique_ptr<CellKind[]> kinds_[kMaxChunks];
};

}  // namespace dynobs::metrics::internal
