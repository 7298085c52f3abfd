#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::metrics::internal {

// One labelled series of a family: its label values and where its value lives.
struct Series {
  uint64_t hash = 0;
  // Variable label values in the family's declared order, each as a 4-byte length then its
  // bytes: one contiguous block, so that a lookup compares without chasing pointers.
  std::string packed_values;
  std::string label_text;               // `a="x",b="y"`: all labels sorted by name, escaped
  uint32_t slot = 0;                    // counters: first cell; histograms: first bucket
  std::atomic<uint64_t> float_bits{0};  // float gauges
  std::atomic<int64_t> int_value{0};    // int gauges

  static std::string Pack(std::span<const std::string_view> values) {
    std::string out;
    for (std::string_view v : values) {
      auto n = static_cast<uint32_t>(v.size());
      out.append(reinterpret_cast<const char*>(&n), sizeof(n));
      out.append(v);
    }
    return out;
  }

  [[nodiscard]] bool Matches(std::span<const std::string_view> values) const {
    const char* p = packed_values.data();
    const char* end = p + packed_values.size();
    for (std::string_view v : values) {
      uint32_t n;
      if (end - p < static_cast<ptrdiff_t>(sizeof(n))) return false;
      std::memcpy(&n, p, sizeof(n));
      p += sizeof(n);
      if (n != v.size() || end - p < static_cast<ptrdiff_t>(n) ||
          std::memcmp(p, v.data(), n) != 0) {
        return false;
      }
      p += n;
    }
    return p == end;
  }
};

[[nodiscard]] uint64_t HashLabelValues(std::span<const std::string_view> values);

// Open-addressing hash table from label values to series, with lock-free lookups.
//
// Readers probe an immutable-size table of atomic pointers; a writer (holding the family's
// mutex) fills empty slots with release stores, and when the table passes half full builds a
// table twice the size and publishes it. Replaced tables are kept until the SeriesTable dies, so
// a reader still probing one never touches freed memory; they add up to less than the live one.
class SeriesTable {
 public:
  SeriesTable();
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  [[nodiscard]] Series* Find(uint64_t hash, std::span<const std::string_view> values) const {
    const Table* t = current_.load(std::memory_order_acquire);
    for (uint64_t i = hash & t->mask;; i = (i + 1) & t->mask) {
      const Slot& slot = t->slots[i];
      Series* s = slot.series.load(std::memory_order_acquire);
      if (s == nullptr) return nullptr;
      if (slot.hash.load(std::memory_order_relaxed) == hash && s->Matches(values)) return s;
    }
  }

  // Writer side; the caller serializes calls.
  void Insert(Series* series);
  [[nodiscard]] size_t size() const { return size_; }

 private:
  // The hash sits beside the pointer so that a probe skips other series without touching them.
  // A writer stores the hash, then publishes the pointer (release).
  struct Slot {
    std::atomic<uint64_t> hash{0};
    std::atomic<Series*> series{nullptr};
  };
  struct Table {
    explicit Table(uint64_t capacity);
    uint64_t mask;
    std::unique_ptr<Slot[]> slots;
  };
  static void Place(Table* t, Series* s);

  std::atomic<Table*> current_;
  std::vector<std::unique_ptr<Table>> tables_;
  size_t size_ = 0;
};

}  // namespace dynobs::metrics::internal
