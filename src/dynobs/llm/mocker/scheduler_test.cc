#include "dynobs/llm/mocker/scheduler.h"

#include <gtest/gtest.h>

#include <map>

namespace dynobs::llm::mocker {
namespace {

std::vector<uint32_t> Prompt(uint32_t n, uint32_t salt) {
  std::vector<uint32_t> t(n);
  for (uint32_t i = 0; i < n; ++i) t[i] = salt * 100000 + i;
  return t;
}

struct Harness {
  explicit Harness(KvBlockManager::Config kv_config, Scheduler::Config config = {},
                   TimingModel timing = {})
      : kv(std::move(*KvBlockManager::Create(std::move(kv_config)))),
        scheduler(config, kv.get(), timing) {}

  // Steps until idle; returns every output by request id.
  std::map<uint64_t, std::vector<TokenOutput>> RunToEnd(int max_steps = 100000) {
    std::map<uint64_t, std::vector<TokenOutput>> outputs;
    for (int i = 0; i < max_steps; ++i) {
      StepResult r = scheduler.Step();
      steps.push_back(r);
      for (auto& o : r.outputs) outputs[o.id].push_back(o);
      if (scheduler.running() == 0 && scheduler.waiting() == 0) break;
    }
    return outputs;
  }

  std::unique_ptr<KvBlockManager> kv;
  Scheduler scheduler;
  std::vector<StepResult> steps;
};

TEST(SchedulerTest, GeneratesMaxTokensThenFinishesWithLength) {
  Harness h({.block_size = 16, .device_blocks = 64});
  ASSERT_TRUE(h.scheduler.Add({.id = 1, .prompt = Prompt(40, 1), .max_tokens = 5}).ok());
  auto out = h.RunToEnd();
  ASSERT_EQ(out[1].size(), 5u);
  EXPECT_TRUE(out[1][0].first);
  EXPECT_EQ(out[1].back().finish, FinishReason::kLength);
  EXPECT_EQ(h.steps[0].prefill_tokens, 40u);  // the whole prompt in one iteration
  EXPECT_EQ(h.steps[1].decode_sequences, 1u);
  EXPECT_EQ(h.kv->used_blocks(), 0u);  // everything released
}

TEST(SchedulerTest, ChunkedPrefillRespectsTheTokenBudget) {
  Harness h({.block_size = 16, .device_blocks = 64}, {.max_num_batched_tokens = 32});
  ASSERT_TRUE(h.scheduler.Add({.id = 1, .prompt = Prompt(100, 1), .max_tokens = 2}).ok());
  auto out = h.RunToEnd();
  // 100 prompt tokens in chunks of 32, 32, 32, 4; the first token comes with the last chunk.
  EXPECT_EQ(h.steps[0].prefill_tokens, 32u);
  EXPECT_EQ(h.steps[3].prefill_tokens, 4u);
  EXPECT_TRUE(h.steps[2].outputs.empty());
  ASSERT_EQ(h.steps[3].outputs.size(), 1u);
  EXPECT_EQ(out[1].size(), 2u);
}

TEST(SchedulerTest, MaxNumSeqsBoundsTheBatchAndTheRestWaits) {
  Harness h({.block_size = 16, .device_blocks = 256}, {.max_num_seqs = 2});
  for (uint64_t id = 1; id <= 5; ++id) {
    ASSERT_TRUE(h.scheduler.Add({.id = id, .prompt = Prompt(20, id), .max_tokens = 3}).ok());
  }
  (void)h.scheduler.Step();
  EXPECT_EQ(h.scheduler.running(), 2u);
  EXPECT_EQ(h.scheduler.waiting(), 3u);
  auto out = h.RunToEnd();
  EXPECT_EQ(out.size(), 5u);
  for (auto& step : h.steps) EXPECT_LE(step.decode_sequences, 2u);
}

TEST(SchedulerTest, RepeatedPromptSkipsItsCachedPrefill) {
  Harness h({.block_size = 16, .device_blocks = 64});
  ASSERT_TRUE(h.scheduler.Add({.id = 1, .prompt = Prompt(64, 9), .max_tokens = 1}).ok());
  h.RunToEnd();
  ASSERT_TRUE(h.scheduler.Add({.id = 2, .prompt = Prompt(64, 9), .max_tokens = 1}).ok());
  h.steps.clear();
  auto out = h.RunToEnd();
  EXPECT_EQ(out[2][0].cached_tokens, 64u);
  EXPECT_EQ(h.steps[0].prefill_tokens + h.steps[0].decode_sequences, 1u);  // one token computed
}

TEST(SchedulerTest, RunningOutOfBlocksPreemptsTheNewestAndStillFinishesAll) {
  // 6 blocks of 4 tokens: three requests of 8 prompt + 8 output tokens (4 blocks each) cannot
  // all grow at once.
  Harness h({.block_size = 4, .device_blocks = 6});
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(h.scheduler.Add({.id = id, .prompt = Prompt(8, id), .max_tokens = 8}).ok());
  }
  auto out = h.RunToEnd();
  uint32_t preempted = 0;
  for (auto& s : h.steps) preempted += s.preempted;
  EXPECT_GT(preempted, 0u);
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_EQ(out[id].size(), 8u) << id;
    EXPECT_TRUE(out[id][0].first);
    for (size_t i = 1; i < out[id].size(); ++i) EXPECT_FALSE(out[id][i].first);
    EXPECT_EQ(out[id].back().finish, FinishReason::kLength);
  }
}

TEST(SchedulerTest, RejectsRequestsThatCanNeverRun) {
  Harness h({.block_size = 4, .device_blocks = 4},
            {.max_num_batched_tokens = 8, .chunked_prefill = false, .context_length = 64});
  EXPECT_FALSE(h.scheduler.Add({.id = 1, .prompt = {}}).ok());
  EXPECT_FALSE(h.scheduler.Add({.id = 2, .prompt = Prompt(9, 1), .max_tokens = 1}).ok());
  EXPECT_FALSE(h.scheduler.Add({.id = 3, .prompt = Prompt(8, 1), .max_tokens = 20}).ok());
  EXPECT_FALSE(h.scheduler.Add({.id = 4, .prompt = Prompt(64, 1), .max_tokens = 1}).ok());
  EXPECT_TRUE(h.scheduler.Add({.id = 5, .prompt = Prompt(8, 1), .max_tokens = 4}).ok());
  EXPECT_FALSE(h.scheduler.Add({.id = 5, .prompt = Prompt(8, 1), .max_tokens = 4}).ok());
}

TEST(SchedulerTest, CancelFreesEverything) {
  Harness h({.block_size = 4, .device_blocks = 64});
  ASSERT_TRUE(h.scheduler.Add({.id = 1, .prompt = Prompt(8, 1), .max_tokens = 100}).ok());
  ASSERT_TRUE(h.scheduler.Add({.id = 2, .prompt = Prompt(8, 2), .max_tokens = 100}).ok());
  (void)h.scheduler.Step();
  EXPECT_TRUE(h.scheduler.Cancel(1));
  EXPECT_FALSE(h.scheduler.Cancel(1));
  EXPECT_TRUE(h.scheduler.Cancel(2));
  EXPECT_EQ(h.scheduler.running(), 0u);
  EXPECT_EQ(h.kv->used_blocks(), 0u);
}

TEST(SchedulerTest, StopStringEndsWithStop) {
  Harness h({.block_size = 16, .device_blocks = 256});
  // The generator speaks words from a fixed list; " the" is among the most frequent.
  ASSERT_TRUE(
      h.scheduler.Add({.id = 1, .prompt = Prompt(4, 1), .max_tokens = 2000, .stop = {" the "}})
          .ok());
  auto out = h.RunToEnd();
  EXPECT_EQ(out[1].back().finish, FinishReason::kStop);
  EXPECT_LT(out[1].size(), 2000u);
}

TEST(SchedulerTest, DeterministicWithASeed) {
  auto run = [](uint64_t seed) {
    Harness h({.block_size = 16, .device_blocks = 64}, {.seed = seed});
    (void)h.scheduler.Add({.id = 7, .prompt = Prompt(10, 1), .max_tokens = 20});
    std::vector<uint32_t> tokens;
    auto outputs = h.RunToEnd();
    for (auto& o : outputs[7]) tokens.push_back(o.tokens[0]);
    return tokens;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(SchedulerTest, TimingGrowsWithPrefillBatchAndKv) {
  TimingModel t;
  EXPECT_EQ(t.StepMs(0, 0, 0), 0);
  EXPECT_LT(t.StepMs(100, 0, 0), t.StepMs(1000, 0, 0));
  EXPECT_LT(t.StepMs(0, 1, 100), t.StepMs(0, 64, 100));
  EXPECT_LT(t.StepMs(0, 8, 1000), t.StepMs(0, 8, 100000));
  TimingModel fast = t;
  fast.speedup = 10;
  EXPECT_NEAR(fast.StepMs(100, 4, 1000) * 10, t.StepMs(100, 4, 1000), 1e-9);
  TimingModel zero = t;
  zero.zero_delay = true;
  EXPECT_EQ(zero.StepMs(1000, 64, 100000), 0);
}

TEST(SchedulerTest, LoadFiguresForTheRouter) {
  Harness h({.block_size = 4, .device_blocks = 64}, {.max_num_batched_tokens = 8});
  ASSERT_TRUE(h.scheduler.Add({.id = 1, .prompt = Prompt(20, 1), .max_tokens = 4}).ok());
  ASSERT_TRUE(h.scheduler.Add({.id = 2, .prompt = Prompt(6, 2), .max_tokens = 4}).ok());
  EXPECT_EQ(h.scheduler.active_prefill_tokens(), 26u);  // both waiting
  (void)h.scheduler.Step();                             // 8 tokens of request 1
  EXPECT_EQ(h.scheduler.active_prefill_tokens(), 12u + 6u);
  EXPECT_EQ(h.scheduler.active_decode_blocks(), 0u);
}

}  // namespace
}  // namespace dynobs::llm::mocker
