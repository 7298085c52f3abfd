// The KV router's choice: overlap against load, ties at random.
#include "dynobs/llm/router/kv_selector.h"

#include <set>

#include <gtest/gtest.h>

namespace dynobs::llm {
namespace {

TEST(ChooseKvWorkerTest, PrefersTheWorkerHoldingThePrefixWhenLoadsAreEqual) {
  std::mt19937_64 rng(1);
  const uint64_t workers[] = {1, 2, 3};
  auto c = ChooseKvWorker(workers, {{2, 6}, {3, 2}}, {}, 8, 16, 1.0, rng);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, 2u);
  EXPECT_EQ(c->overlap_blocks, 6u);
  EXPECT_EQ(c->cost, 2.0);
}

TEST(ChooseKvWorkerTest, LoadOutweighsASmallOverlap) {
  std::mt19937_64 rng(1);
  const uint64_t workers[] = {1, 2};
  std::map<uint64_t, WorkerLoad> loads{
      {1, {.active_decode_blocks = 20, .active_prefill_tokens = 0}},
      {2, {.active_decode_blocks = 1, .active_prefill_tokens = 17}}};  // 1 + ceil(17/16) = 3
  auto c = ChooseKvWorker(workers, {{1, 4}}, loads, 8, 16, 1.0, rng);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->worker_id, 2u);  // 1: 4 + 20 = 24; 2: 8 + 3 = 11
  EXPECT_EQ(c->cost, 11.0);
}

TEST(ChooseKvWorkerTest, TiesAreBrokenAtRandomAndNoCandidateIsNone) {
  std::mt19937_64 rng(7);
  const uint64_t workers[] = {1, 2, 3};
  std::set<uint64_t> chosen;
  for (int i = 0; i < 64; ++i)
    chosen.insert(ChooseKvWorker(workers, {}, {}, 4, 16, 1.0, rng)->worker_id);
  EXPECT_EQ(chosen.size(), 3u);
  EXPECT_FALSE(ChooseKvWorker({}, {}, {}, 4, 16, 1.0, rng));
}

TEST(ChooseKvWorkerTest, AnOverlapLongerThanTheRequestCountsAsTheRequest) {
  std::mt19937_64 rng(1);
  const uint64_t workers[] = {9};
  auto c = ChooseKvWorker(workers, {{9, 50}}, {}, 3, 16, 2.0, rng);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->overlap_blocks, 3u);
  EXPECT_EQ(c->cost, 0.0);
}

}  // namespace
}  // namespace dynobs::llm
