#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dynobs/metrics/internal/cell_space.h"

namespace dynobs::metrics {

// Handles: what callers keep and record through. Each is a small value (copy it freely) that
// points at one series. Recording takes no lock and allocates nothing (see internal/cell_space.h
// for the one-time per-thread chunk allocation). A handle is valid while its registry lives: when
// a registry goes, its cells are reused by new series.
// A default-constructed handle records nowhere (a no-op), so that a metric that failed to
// register degrades to silence instead of a crash.

// A float counter. Negative and NaN increments are ignored: a counter never goes down.
// Two cells: whole increments (the common case, Inc() and token counts) add to an integer cell,
// exact and fast; fractional ones add to a double cell. A scrape shows their sum.
class Counter {
 public:
  Counter() = default;
  explicit Counter(uint32_t slot) : slot_(slot), live_(true) {}
  void Inc(double v = 1.0) const {
    if (!live_) return;
    if (v >= 0 && v < 9007199254740992.0) {  // 2^53: every integer below is exact
      auto whole = static_cast<uint64_t>(v);
      if (static_cast<double>(whole) == v) {
        internal::AddUint(slot_, whole);
        return;
      }
    }
    if (v > 0) internal::AddDouble(slot_ + 1, v);
  }
  [[nodiscard]] double Value() const {
    if (!live_) return 0;
    auto& space = internal::CellSpace::Get();
    return static_cast<double>(space.ReadUint(slot_)) + space.ReadDouble(slot_ + 1);
  }

 private:
  uint32_t slot_ = 0;
  bool live_ = false;
};

class IntCounter {
 public:
  IntCounter() = default;
  explicit IntCounter(uint32_t slot) : slot_(slot), live_(true) {}
  void Inc(uint64_t v = 1) const {
    if (live_) internal::AddUint(slot_, v);
  }
  [[nodiscard]] uint64_t Value() const {
    return live_ ? internal::CellSpace::Get().ReadUint(slot_) : 0;
  }

 private:
  uint32_t slot_ = 0;
  bool live_ = false;
};

// A float gauge: one atomic cell shared by all threads (Set is a plain store; Add is a CAS loop).
class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(std::atomic<uint64_t>* cell) : cell_(cell) {}
  void Set(double v) const {
    if (cell_ != nullptr) cell_->store(std::bit_cast<uint64_t>(v), std::memory_order_relaxed);
  }
  void Add(double v) const {
    if (cell_ == nullptr) return;
    uint64_t cur = cell_->load(std::memory_order_relaxed);
    while (!cell_->compare_exchange_weak(
        cur, std::bit_cast<uint64_t>(std::bit_cast<double>(cur) + v), std::memory_order_relaxed)) {
    }
  }
  void Inc() const { Add(1); }
  void Dec() const { Add(-1); }
  [[nodiscard]] double Value() const {
    return cell_ != nullptr ? std::bit_cast<double>(cell_->load(std::memory_order_relaxed)) : 0;
  }

 private:
  std::atomic<uint64_t>* cell_ = nullptr;
};

class IntGauge {
 public:
  IntGauge() = default;
  explicit IntGauge(std::atomic<int64_t>* cell) : cell_(cell) {}
  void Set(int64_t v) const {
    if (cell_ != nullptr) cell_->store(v, std::memory_order_relaxed);
  }
  void Add(int64_t v) const {
    if (cell_ != nullptr) cell_->fetch_add(v, std::memory_order_relaxed);
  }
  void Inc() const { Add(1); }
  void Dec() const { Add(-1); }
  [[nodiscard]] int64_t Value() const {
    return cell_ != nullptr ? cell_->load(std::memory_order_relaxed) : 0;
  }

 private:
  std::atomic<int64_t>* cell_ = nullptr;
};

// A histogram series: bounds.size() + 1 bucket counts (the last is +Inf) and a sum, in
// consecutive slots of one chunk. Observe finds the bucket by counting the bounds below the value
// (branch-free, two at a time with SSE2, for up to 64 bounds; binary search above), then does two
// single-writer adds.
//
// `bounds` must stay valid while the handle is used and, for the SSE2 path, be readable up to an
// even length (the family pads an odd count with +Inf).
class Histogram {
 public:
  Histogram() = default;
  Histogram(uint32_t base_slot, std::span<const double> bounds)
      : bounds_(bounds.data()),
        n_bounds_(static_cast<uint32_t>(bounds.size())),
        base_slot_(base_slot) {}

  void Observe(double v) const {
    if (bounds_ == nullptr) return;
    uint32_t bucket = BucketIndex(v);
    internal::Chunk* c = internal::CurrentThreadCells()->ChunkFor(base_slot_);
    uint32_t i = base_slot_ & internal::kChunkMask;
    internal::AddUint(c->cells[i + bucket], 1);
    internal::AddDouble(c->cells[i + n_bounds_ + 1], v);
  }

  // Index of the first bound >= v (n_bounds_ for +Inf; NaN lands in +Inf).
  [[nodiscard]] uint32_t BucketIndex(double v) const {
#if defined(__SSE2__)
    if (n_bounds_ <= 64) {
      __m128d value = _mm_set1_pd(v);
      __m128i count = _mm_setzero_si128();
      for (uint32_t b = 0; b < n_bounds_; b += 2) {
        // !(v <= bound) is all ones (-1) per lane; subtracting it counts the bounds below v.
        __m128d below = _mm_cmpnle_pd(value, _mm_loadu_pd(bounds_ + b));
        count = _mm_sub_epi64(count, _mm_castpd_si128(below));
      }
      auto idx = static_cast<uint32_t>(_mm_cvtsi128_si64(count) +
                                       _mm_cvtsi128_si64(_mm_unpackhi_epi64(count, count)));
      return idx < n_bounds_ ? idx : n_bounds_;  // a NaN also counts the +Inf padding
    }
#else
    if (n_bounds_ <= 32) {
      uint32_t idx = 0;
      for (uint32_t b = 0; b < n_bounds_; ++b) idx += !(v <= bounds_[b]);
      return idx;
    }
#endif
    uint32_t lo = 0, hi = n_bounds_;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (v <= bounds_[mid])
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }

 private:
  const double* bounds_ = nullptr;
  uint32_t n_bounds_ = 0;
  uint32_t base_slot_ = 0;
};

}  // namespace dynobs::metrics
