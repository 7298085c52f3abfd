#include "dynobs/llm/mocker/kv_block_manager.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "dynobs/llm/mocker/block_hash.h"

namespace dynobs::llm::mocker {
namespace {

std::vector<uint32_t> Prompt(uint32_t n, uint32_t salt) {
  std::vector<uint32_t> t(n);
  for (uint32_t i = 0; i < n; ++i) t[i] = salt * 100000 + i;
  return t;
}

std::unique_ptr<KvBlockManager> Make(KvBlockManager::Config c) {
  auto m = KvBlockManager::Create(std::move(c));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(*m);
}

// Runs a whole prompt through: admit, compute, release. Returns the cached tokens found.
uint32_t RunPrompt(KvBlockManager& kv, uint64_t id, const std::vector<uint32_t>& prompt) {
  auto cached = kv.Admit(id, ComputeBlockHashes(prompt, kv.block_size()),
                         static_cast<uint32_t>(prompt.size()));
  EXPECT_TRUE(cached.has_value());
  kv.Commit(id, prompt);
  kv.Release(id);
  return cached.value_or(0);
}

TEST(KvBlockManagerTest, RepeatedPrefixIsFoundOnTheDevice) {
  auto kv = Make({.block_size = 16, .device_blocks = 64});
  auto prompt = Prompt(70, 1);  // four full blocks and a partial one
  EXPECT_EQ(RunPrompt(*kv, 1, prompt), 0u);
  auto events = kv->TakeEvents();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, KvEvent::Kind::kStored);
  EXPECT_EQ(events[1].parent_hash, events[0].block_hash);
  EXPECT_EQ(RunPrompt(*kv, 2, prompt), 64u);
  EXPECT_EQ(kv->stats().device_prefix_hit_tokens.load(), 64u);
  EXPECT_EQ(kv->used_blocks(), 0u);
  EXPECT_EQ(kv->cached_blocks(), 4u);
}

TEST(KvBlockManagerTest, SharedPrefixBlocksAreReferencedNotCopied) {
  auto kv = Make({.block_size = 4, .device_blocks = 16});
  auto prompt = Prompt(8, 1);
  ASSERT_TRUE(kv->Admit(1, ComputeBlockHashes(prompt, 4), 8).has_value());
  kv->Commit(1, prompt);
  auto cached = kv->Admit(2, ComputeBlockHashes(prompt, 4), 9);  // same 8, one more token
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(*cached, 8u);
  EXPECT_EQ(kv->used_blocks(), 3u);  // two shared, one new
}

TEST(KvBlockManagerTest, AdmitFailsWithoutRoomAndChangesNothing) {
  auto kv = Make({.block_size = 4, .device_blocks = 4});
  ASSERT_TRUE(kv->Admit(1, {}, 12).has_value());  // three blocks
  EXPECT_FALSE(kv->Admit(2, {}, 8).has_value());  // needs two, one left
  EXPECT_EQ(kv->used_blocks(), 3u);
  EXPECT_TRUE(kv->Grow(1, 16));
  EXPECT_FALSE(kv->Grow(1, 17));
}

TEST(KvBlockManagerTest, EvictionOffloadsToHostAndAHitOnboardsBack) {
  auto kv = Make({.block_size = 4, .device_blocks = 4, .host_blocks = 16});
  auto a = Prompt(16, 1);
  auto b = Prompt(16, 2);
  RunPrompt(*kv, 1, a);  // a's four blocks cached on the device
  RunPrompt(*kv, 2, b);  // b evicts them: offloaded to the host
  EXPECT_EQ(kv->stats().offload_d2h.load(), 4u);
  EXPECT_EQ(kv->host_resident(), 4u);
  EXPECT_EQ(RunPrompt(*kv, 3, a), 16u);  // a again: onboarded from the host
  EXPECT_EQ(kv->stats().onboard_h2d.load(), 4u);
  EXPECT_EQ(kv->stats().matched_tokens.load(), 16u);
  EXPECT_DOUBLE_EQ(kv->stats().host_hit_rate.load(), 4.0 / 6.0);  // a's and b's first misses
}

TEST(KvBlockManagerTest, HostOverflowGoesToDiskFilesAndComesBack) {
  std::string dir = testing::TempDir() + "/dynobs-kv-test";
  std::filesystem::remove_all(dir);
  {
    auto kv = Make({.block_size = 4,
                    .device_blocks = 4,
                    .host_blocks = 4,
                    .disk_bytes = 64 * 1024,
                    .disk_block_bytes = 4096,
                    .disk_dir = dir});
    auto a = Prompt(16, 1), b = Prompt(16, 2), c = Prompt(16, 3);
    RunPrompt(*kv, 1, a);
    RunPrompt(*kv, 2, b);  // a -> host
    RunPrompt(*kv, 3, c);  // b -> host, a pushed to disk
    EXPECT_EQ(kv->stats().offload_h2d.load(), 4u);
    EXPECT_EQ(kv->disk_resident(), 4u);
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      ++files;
      EXPECT_EQ(std::filesystem::file_size(e.path()), 4096u);
    }
    EXPECT_EQ(files, 4u);
    EXPECT_EQ(RunPrompt(*kv, 4, a), 16u);  // a from disk
    EXPECT_EQ(kv->stats().onboard_d2d.load(), 4u);
    EXPECT_GT(kv->stats().disk_hit_rate.load(), 0.0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));  // the tier cleans up after itself
}

TEST(KvBlockManagerTest, DiskCapIsRespectedAndMissingFilesAreMisses) {
  std::string dir = testing::TempDir() + "/dynobs-kv-cap";
  std::filesystem::remove_all(dir);
  auto kv = Make({.block_size = 4,
                  .device_blocks = 4,
                  .disk_bytes = 8 * 1024,
                  .disk_block_bytes = 4096,
                  .disk_dir = dir});
  RunPrompt(*kv, 1, Prompt(16, 1));
  RunPrompt(*kv, 2, Prompt(16, 2));  // device -> disk directly, only two fit
  EXPECT_EQ(kv->stats().offload_d2d.load(), 4u);
  EXPECT_EQ(kv->disk_resident(), 2u);
  for (const auto& e : std::filesystem::directory_iterator(dir)) std::filesystem::remove(e.path());
  // Eviction went last block first, so the head of the prompt is what stayed on disk.
  EXPECT_EQ(RunPrompt(*kv, 3, Prompt(16, 1)), 0u);  // files gone: a miss, no crash
  EXPECT_EQ(kv->disk()->read_failures(), 1u);
}

TEST(KvBlockManagerTest, NoPrefixCachingMeansNoReuseAndNoEvents) {
  auto kv = Make({.block_size = 4, .device_blocks = 8, .prefix_caching = false});
  auto p = Prompt(8, 1);
  RunPrompt(*kv, 1, p);
  EXPECT_EQ(RunPrompt(*kv, 2, p), 0u);
  EXPECT_TRUE(kv->TakeEvents().empty());
  EXPECT_EQ(kv->cached_blocks(), 0u);
}

TEST(KvBlockManagerTest, ConfigErrors) {
  EXPECT_FALSE(KvBlockManager::Create({.block_size = 0}).ok());
  EXPECT_FALSE(KvBlockManager::Create({.device_blocks = 0}).ok());
  EXPECT_FALSE(KvBlockManager::Create({.disk_bytes = 1 << 20}).ok());  // no directory
}

}  // namespace
}  // namespace dynobs::llm::mocker
