#include "dynobs/metrics/internal/series_table.h"

#include <cstring>

namespace dynobs::metrics::internal {
namespace {

constexpr uint64_t kSeed0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kSeed1 = 0xe7037ed1a0b428dbULL;

// 64x64->128 multiply folded to 64 bits (the mixing step of the wyhash family).
inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Load(const char* p, size_t n) {  // n <= 8 bytes, little-endian
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return w;
}

}  // namespace

// Sixteen bytes per multiply; the length of each value is mixed in so that ("ab","c") and
// ("a","bc") differ.
uint64_t HashLabelValues(std::span<const std::string_view> values) {
  uint64_t h = kSeed0 ^ values.size();
  for (std::string_view v : values) {
    const char* p = v.data();
    size_t n = v.size();
    h ^= n * kSeed1;
    while (n > 16) {
      h = Mix(Load(p, 8) ^ kSeed1, Load(p + 8, 8) ^ h);
      p += 16;
      n -= 16;
    }
    uint64_t a = n > 8 ? Load(p, 8) : Load(p, n);
    uint64_t b = n > 8 ? Load(p + 8, n - 8) : 0;
    h = Mix(a ^ kSeed1, b ^ h);
  }
  return Mix(h ^ kSeed0, h ^ kSeed1);
}

SeriesTable::Table::Table(uint64_t capacity) : mask(capacity - 1), slots(new Slot[capacity]) {}

SeriesTable::SeriesTable() {
  tables_.push_back(std::make_unique<Table>(16));
  current_.store(tables_.back().get(), std::memory_order_release);
}

void SeriesTable::Place(Table* t, Series* s) {
  uint64_t i = s->hash & t->mask;
  while (t->slots[i].series.load(std::memory_order_relaxed) != nullptr) i = (i + 1) & t->mask;
  t->slots[i].hash.store(s->hash, std::memory_order_relaxed);
  t->slots[i].series.store(s, std::memory_order_release);
}

void SeriesTable::Insert(Series* series) {
  Table* t = current_.load(std::memory_order_relaxed);
  if ((size_ + 1) * 2 > t->mask + 1) {
    auto bigger = std::make_unique<Table>((t->mask + 1) * 2);
    for (uint64_t i = 0; i <= t->mask; ++i) {
      if (Series* s = t->slots[i].series.load(std::memory_order_relaxed)) Place(bigger.get(), s);
    }
    t = bigger.get();
    tables_.push_back(std::move(bigger));
    Place(t, series);
    current_.store(t, std::memory_order_release);
  } else {
    Place(t, series);
  }
  ++size_;
}

}  // namespace dynobs::metrics::internal
