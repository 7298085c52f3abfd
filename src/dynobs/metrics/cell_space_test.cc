#include "dynobs/metrics/internal/cell_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "dynobs/metrics/handles.h"

namespace dynobs::metrics::internal {
namespace {

TEST(CellSpaceTest, AllocatesRunsInsideOneChunk) {
  auto& space = CellSpace::Get();
  for (int i = 0; i < 300; ++i) {
    auto slot = space.Allocate(20, CellKind::kUint, CellKind::kDouble);
    ASSERT_TRUE(slot.ok());
    EXPECT_EQ(*slot >> kChunkBits, (*slot + 19) >> kChunkBits);
  }
  EXPECT_FALSE(space.Allocate(0, CellKind::kUint).ok());
  EXPECT_FALSE(space.Allocate(kChunkCells + 1, CellKind::kUint).ok());
}

// Threads race on one counter; each adds to its own cell; nothing is lost, including the values
// of threads that exited before the read (folded into the retired cells).
TEST(CellSpaceTest, ConcurrentAddsAreAllCountedAcrossThreadExit) {
  auto slot = CellSpace::Get().Allocate(1, CellKind::kUint);
  ASSERT_TRUE(slot.ok());
  IntCounter c(*slot);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) c.Inc();
    });
  }
  // Read while they run: never more than the final total.
  EXPECT_LE(c.Value(), static_cast<uint64_t>(kThreads) * kPerThread);
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), static_cast<uint64_t>(kThreads) * kPerThread);
}

TEST(CellSpaceTest, DoubleCellsSumAcrossThreads) {
  auto slot = CellSpace::Get().Allocate(2, CellKind::kUint, CellKind::kDouble);
  ASSERT_TRUE(slot.ok());
  Counter c(*slot);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) c.Inc(0.5);
    });
  }
  for (auto& t : threads) t.join();
  c.Inc(0.25);
  EXPECT_DOUBLE_EQ(c.Value(), 2000.25);
}

TEST(CellSpaceTest, SnapshotCombinesByKind) {
  auto u = CellSpace::Get().Allocate(1, CellKind::kUint);
  auto d = CellSpace::Get().Allocate(1, CellKind::kDouble);
  ASSERT_TRUE(u.ok() && d.ok());
  std::thread([&] {
    AddUint(*u, 3);
    AddDouble(*d, 1.5);
  }).join();
  AddUint(*u, 4);
  AddDouble(*d, 2.25);
  CellSnapshot snap;
  snap.Want(*u);
  snap.Want(*d);
  CellSpace::Get().Snapshot(&snap);
  EXPECT_EQ(snap[*u], 7u);
  EXPECT_EQ(std::bit_cast<double>(snap[*d]), 3.75);
}

TEST(CellSpaceTest, ReleasedSlotsAreZeroedAndReused) {
  auto& space = CellSpace::Get();
  auto slot = space.Allocate(3, CellKind::kUint, CellKind::kDouble);
  ASSERT_TRUE(slot.ok());
  std::thread([&] { AddUint(*slot, 5); }).join();  // in the retired cells
  AddUint(*slot + 1, 6);                           // in this thread's cells
  space.Release(*slot, 3);
  auto again = space.Allocate(3, CellKind::kUint, CellKind::kDouble);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *slot);
  EXPECT_EQ(space.ReadUint(*again), 0u);
  EXPECT_EQ(space.ReadUint(*again + 1), 0u);
}

TEST(CellSpaceTest, NegativeAndNanCounterIncrementsAreIgnored) {
  auto slot = CellSpace::Get().Allocate(2, CellKind::kUint, CellKind::kDouble);
  Counter c(*slot);
  c.Inc(2);
  c.Inc(-1);
  c.Inc(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(c.Value(), 2);
}

TEST(CellSpaceTest, DefaultHandlesAreNoOps) {
  Counter c;
  IntCounter ic;
  Gauge g;
  IntGauge ig;
  Histogram h;
  c.Inc();
  ic.Inc();
  g.Set(1);
  ig.Add(1);
  h.Observe(1);
  EXPECT_EQ(c.Value(), 0);
  EXPECT_EQ(g.Value(), 0);
}

TEST(HistogramTest, BucketIndexIncludesUpperBoundAndNanGoesToInf) {
  std::vector<double> bounds = {1, 2, 5, HUGE_VAL};  // padded to an even length
  Histogram h(0, std::span<const double>(bounds.data(), 3));
  EXPECT_EQ(h.BucketIndex(0.5), 0u);
  EXPECT_EQ(h.BucketIndex(1), 0u);
  EXPECT_EQ(h.BucketIndex(1.5), 1u);
  EXPECT_EQ(h.BucketIndex(5), 2u);
  EXPECT_EQ(h.BucketIndex(6), 3u);
  EXPECT_EQ(h.BucketIndex(std::numeric_limits<double>::quiet_NaN()), 3u);
  std::vector<double> many;
  for (int i = 0; i < 100; ++i) many.push_back(i);
  Histogram big(0, many);
  EXPECT_EQ(big.BucketIndex(-1), 0u);
  EXPECT_EQ(big.BucketIndex(41), 41u);
  EXPECT_EQ(big.BucketIndex(41.5), 42u);
  EXPECT_EQ(big.BucketIndex(1000), 100u);
  EXPECT_EQ(big.BucketIndex(std::numeric_limits<double>::quiet_NaN()), 100u);
}

}  // namespace
}  // namespace dynobs::metrics::internal
