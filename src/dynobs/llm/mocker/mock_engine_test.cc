#include "dynobs/llm/mocker/mock_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace dynobs::llm::mocker {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<uint32_t> Prompt(uint32_t n, uint32_t salt) {
  std::vector<uint32_t> t(n);
  for (uint32_t i = 0; i < n; ++i) t[i] = salt * 100000 + i;
  return t;
}

// Collects outputs per request and waits for finishes.
class Collector {
 public:
  MockEngine::OutputCallback For(uint64_t id) {
    return [this, id](const TokenOutput& out) {
      std::lock_guard lock(mu_);
      outputs_[id].push_back({out, Clock::now()});
      if (out.finish != FinishReason::kNone) ++finished_;
      cv_.notify_all();
    };
  }
  bool WaitFinished(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return finished_ >= n; });
  }
  struct Timed {
    TokenOutput out;
    Clock::time_point at;
  };
  std::vector<Timed> Of(uint64_t id) {
    std::lock_guard lock(mu_);
    return outputs_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::vector<Timed>> outputs_;
  int finished_ = 0;
};

class MockEngineTest : public ::testing::Test {
 protected:
  MockEngineTest() { loop_.Start(); }
  std::unique_ptr<MockEngine> Make(MockEngine::Config c) {
    auto e = MockEngine::Create(loop_, std::move(c));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }
  http::EventLoop loop_{2};
};

TEST_F(MockEngineTest, StreamsTokensAtTheModelsPace) {
  TimingModel timing;
  timing.step_base_ms = 10;  // ~10 ms per iteration, nothing else
  timing.prefill_ms_per_token = 0;
  timing.decode_ms_per_sequence = 0;
  timing.decode_ms_per_1k_kv_tokens = 0;
  auto engine = Make({.kv = {.device_blocks = 64}, .timing = timing});
  Collector c;
  auto start = Clock::now();
  ASSERT_TRUE(engine->Submit({.id = 1, .prompt = Prompt(10, 1), .max_tokens = 10}, c.For(1)).ok());
  ASSERT_TRUE(c.WaitFinished(1));
  auto outs = c.Of(1);
  ASSERT_EQ(outs.size(), 10u);
  EXPECT_EQ(outs.back().out.finish, FinishReason::kLength);
  auto elapsed = outs.back().at - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(95));  // ten iterations of 10 ms
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  EXPECT_GE(outs[1].at - outs[0].at, std::chrono::milliseconds(9));
}

TEST_F(MockEngineTest, ZeroDelayIsFastAndBatchesManyRequests) {
  TimingModel timing;
  timing.zero_delay = true;
  auto engine = Make({.kv = {.device_blocks = 4096}, .timing = timing});
  Collector c;
  for (uint64_t id = 1; id <= 200; ++id) {
    ASSERT_TRUE(
        engine->Submit({.id = id, .prompt = Prompt(32, id), .max_tokens = 16}, c.For(id)).ok());
  }
  ASSERT_TRUE(c.WaitFinished(200));
  for (uint64_t id = 1; id <= 200; id += 37) EXPECT_EQ(c.Of(id).size(), 16u);
  EXPECT_LT(engine->load().iterations, 200u * 16u);  // batched, not one at a time
}

TEST_F(MockEngineTest, CancelEndsTheStreamWithCancelled) {
  TimingModel timing;
  timing.step_base_ms = 5;
  auto engine = Make({.kv = {.device_blocks = 256}, .timing = timing});
  Collector c;
  ASSERT_TRUE(engine->Submit({.id = 1, .prompt = Prompt(8, 1), .max_tokens = 1000}, c.For(1)).ok());
  while (c.Of(1).size() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  engine->Cancel(1);
  ASSERT_TRUE(c.WaitFinished(1));
  auto outs = c.Of(1);
  EXPECT_EQ(outs.back().out.finish, FinishReason::kCancelled);
  EXPECT_LT(outs.size(), 1000u);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(c.Of(1).size(), outs.size());  // nothing after the cancellation
  EXPECT_EQ(engine->load().running, 0u);
}

TEST_F(MockEngineTest, InvalidRequestsFailAtSubmit) {
  auto engine = Make({.kv = {.device_blocks = 4}});
  Collector c;
  EXPECT_FALSE(engine->Submit({.id = 1, .prompt = {}}, c.For(1)).ok());
  EXPECT_FALSE(engine->Submit({.id = 2, .prompt = Prompt(1000, 1)}, c.For(2)).ok());
}

TEST_F(MockEngineTest, KvEventsAndLoadAreReported) {
  TimingModel timing;
  timing.zero_delay = true;
  auto engine = Make({.kv = {.block_size = 16, .device_blocks = 64}, .timing = timing});
  std::mutex mu;
  size_t stored = 0;
  engine->SetKvEventListener([&](const std::vector<KvEvent>& events) {
    std::lock_guard lock(mu);
    for (const auto& e : events) stored += e.kind == KvEvent::Kind::kStored;
  });
  Collector c;
  ASSERT_TRUE(engine->Submit({.id = 1, .prompt = Prompt(64, 1), .max_tokens = 4}, c.For(1)).ok());
  ASSERT_TRUE(c.WaitFinished(1));
  std::lock_guard lock(mu);
  EXPECT_EQ(stored, 4u);  // the prompt's four full blocks
  EXPECT_EQ(engine->load().total_blocks, 64u);
}

TEST_F(MockEngineTest, StopCancelsEverythingInFlight) {
  TimingModel timing;
  timing.step_base_ms = 5;
  Collector c;
  {
    auto engine = Make({.kv = {.device_blocks = 256}, .timing = timing});
    for (uint64_t id = 1; id <= 3; ++id) {
      ASSERT_TRUE(
          engine->Submit({.id = id, .prompt = Prompt(8, id), .max_tokens = 1000}, c.For(id)).ok());
    }
  }  // destroyed here
  ASSERT_TRUE(c.WaitFinished(3));
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(c.Of(id).back().out.finish, FinishReason::kCancelled);
  }
}

}  // namespace
}  // namespace dynobs::llm::mocker
