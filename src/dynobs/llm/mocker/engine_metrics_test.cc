#include "dynobs/llm/mocker/engine_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "dynobs/metrics/exposition.h"

namespace dynobs::llm::mocker {
namespace {

TEST(EngineMetricsTest, KvbmFamiliesFollowTheEngine) {
  http::EventLoop loop(1);
  loop.Start();
  TimingModel timing;
  timing.zero_delay = true;
  auto engine = *MockEngine::Create(
      loop, {.kv = {.block_size = 4, .device_blocks = 5, .host_blocks = 16}, .timing = timing});
  auto registry = NewKvbmRegistry(*engine);
  ASSERT_TRUE(registry.ok());
  std::string before = metrics::ScrapeText(**registry);
  EXPECT_NE(before.find("# TYPE kvbm_offload_blocks_d2h counter\nkvbm_offload_blocks_d2h 0\n"),
            std::string::npos);
  EXPECT_NE(before.find("kvbm_object_cache_hit_rate 0\n"), std::string::npos);

  // Two prompts that do not fit together: the first one's blocks go to the host.
  std::atomic<int> done{0};
  auto run = [&](uint64_t id, uint32_t salt) {
    std::vector<uint32_t> prompt(16);
    for (uint32_t i = 0; i < 16; ++i) prompt[i] = salt * 1000 + i;
    ASSERT_TRUE(engine
                    ->Submit({.id = id, .prompt = prompt, .max_tokens = 1},
                             [&](const TokenOutput& o) {
                               if (o.finish != FinishReason::kNone) done++;
                             })
                    .ok());
    while (done.load() < static_cast<int>(id)) std::this_thread::yield();
  };
  run(1, 1);
  run(2, 2);
  std::string after = metrics::ScrapeText(**registry);
  EXPECT_EQ(after.find("kvbm_offload_blocks_d2h 0\n"), std::string::npos);
  EXPECT_NE(after.find("kvbm_offload_blocks_d2h "), std::string::npos);
}

TEST(EngineMetricsTest, WorkerGaugesCarryDynamosLabels) {
  http::EventLoop loop(1);
  loop.Start();
  auto engine = *MockEngine::Create(loop, {.kv = {.device_blocks = 128}});
  metrics::Registry registry;
  ASSERT_TRUE(RegisterWorkerGauges(registry, *engine, "qwen/qwen3-0.6b", "backend", 0).ok());
  std::string text = metrics::ScrapeText(registry);
  EXPECT_NE(text.find("dynamo_component_total_blocks{dp_rank=\"0\",dynamo_component=\"backend\","
                      "model=\"qwen/qwen3-0.6b\"} 128\n"),
            std::string::npos);
  EXPECT_NE(text.find("dynamo_component_gpu_cache_usage_percent{dp_rank=\"0\","
                      "dynamo_component=\"backend\",model=\"qwen/qwen3-0.6b\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace dynobs::llm::mocker
