// The KV index: events applied with their outcomes counted, overlaps by leading blocks, and the
// index fed by a real mock engine's events through the load_metrics JSON.
#include "dynobs/llm/router/kv_indexer.h"

#include <future>

#include <gtest/gtest.h>

#include "dynobs/http/event_loop.h"
#include "dynobs/llm/mocker/block_hash.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/metrics/exposition.h"

namespace dynobs::llm {
namespace {

using Type = KvCacheEvent::Type;

class KvIndexerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = metrics::MetricsScope::ForRuntime(0xf00d);
    auto indexer = KvIndexer::Create(*runtime_->NewNamespace("dynamo")->NewComponent("router"));
    ASSERT_TRUE(indexer.ok()) << indexer.status().ToString();
    indexer_ = std::move(*indexer);
  }
  // The value of kv_cache_events_applied{event_type, status}; "absent" when not exposed.
  std::string Applied(std::string_view type, std::string_view status) const {
    std::string text = metrics::ScrapeText(*runtime_->registry());
    std::string needle = "dynamo_component_kv_cache_events_applied{";
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at, end - at);
      if (line.find("event_type=\"" + std::string(type) + "\"") != std::string::npos &&
          line.find("status=\"" + std::string(status) + "\"") != std::string::npos) {
        return line.substr(line.rfind(' ') + 1);
      }
    }
    return "absent";
  }

  std::shared_ptr<metrics::MetricsScope> runtime_;
  std::unique_ptr<KvIndexer> indexer_;
};

TEST_F(KvIndexerTest, AllTwelveSeriesExistFromTheStart) {
  for (auto type : {"stored", "removed", "cleared"}) {
    for (auto status : {"ok", "parent_block_not_found", "block_not_found", "invalid_block"}) {
      EXPECT_EQ(Applied(type, status), "0") << type << " " << status;
    }
  }
  std::string text = metrics::ScrapeText(*runtime_->registry());
  EXPECT_NE(text.find("dynamo_component_kv_cache_events_applied{dynamo_component=\"router\","
                      "dynamo_namespace=\"dynamo\",event_type=\"cleared\",status=\"ok\","
                      "worker_id=\"f00d\"} 0"),
            std::string::npos)
      << text;
}

TEST_F(KvIndexerTest, AppliesEventsAndCountsEachOutcome) {
  const KvCacheEvent events[] = {
      {Type::kStored, 11, 0},   // ok
      {Type::kStored, 12, 11},  // ok
      {Type::kStored, 99, 98},  // parent unknown
      {Type::kStored, 0, 12},   // invalid
      {Type::kRemoved, 12, 0},  // ok
      {Type::kRemoved, 12, 0},  // already gone
  };
  indexer_->Apply(1, events);
  EXPECT_EQ(Applied("stored", "ok"), "2");
  EXPECT_EQ(Applied("stored", "parent_block_not_found"), "1");
  EXPECT_EQ(Applied("stored", "invalid_block"), "1");
  EXPECT_EQ(Applied("removed", "ok"), "1");
  EXPECT_EQ(Applied("removed", "block_not_found"), "1");
  EXPECT_EQ(indexer_->blocks(1), 1u);
  const KvCacheEvent clear[] = {{Type::kCleared, 0, 0}};
  indexer_->Apply(1, clear);
  EXPECT_EQ(Applied("cleared", "ok"), "1");
  EXPECT_EQ(indexer_->blocks(1), 0u);
}

TEST_F(KvIndexerTest, OverlapCountsLeadingBlocksPerWorker) {
  const KvCacheEvent a[] = {{Type::kStored, 1, 0}, {Type::kStored, 2, 1}, {Type::kStored, 3, 2}};
  const KvCacheEvent b[] = {{Type::kStored, 1, 0}, {Type::kStored, 2, 1}};
  const KvCacheEvent c[] = {{Type::kStored, 7, 0}};
  indexer_->Apply(0xa, a);
  indexer_->Apply(0xb, b);
  indexer_->Apply(0xc, c);
  const uint64_t request[] = {1, 2, 3, 4};
  auto overlaps = indexer_->Overlaps(request);
  EXPECT_EQ(overlaps.size(), 2u);
  EXPECT_EQ(overlaps[0xa], 3u);
  EXPECT_EQ(overlaps[0xb], 2u);
  indexer_->RemoveWorker(0xa);
  overlaps = indexer_->Overlaps(request);
  EXPECT_EQ(overlaps.size(), 1u);
  EXPECT_EQ(overlaps[0xb], 2u);
  const uint64_t other[] = {7, 1};
  EXPECT_EQ(indexer_->Overlaps(other)[0xc], 1u);
}

TEST(ParseKvEventsTest, ReadsTheLoadMetricsItems) {
  uint64_t id = 0;
  auto events = ParseKvEvents(
      R"({"kv_events":[{"type":"stored","block_hash":18446744073709551615,"parent_hash":5},)"
      R"({"type":"removed","block_hash":9},{"type":"cleared"}],"event_id":42})",
      &id);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(id, 42u);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].block_hash, UINT64_MAX);
  EXPECT_EQ((*events)[0].parent_hash, 5u);
  EXPECT_EQ((*events)[1].type, Type::kRemoved);
  EXPECT_EQ((*events)[2].type, Type::kCleared);
  for (const char* bad : {"", "[]", R"({"kv_events":3})", R"({"kv_events":[{"type":"moved"}]})",
                          R"({"kv_events":[{"type":"stored","block_hash":-1}]})"}) {
    EXPECT_FALSE(ParseKvEvents(bad, nullptr).ok()) << bad;
  }
}

// The index fed by a real (zero-delay) mock engine: after a prompt runs, the router sees the
// worker holding every full block of it, with nothing refused.
TEST_F(KvIndexerTest, FedByTheMockEngineItHoldsThePromptsBlocks) {
  http::EventLoop loop(1);
  loop.Start();
  mocker::MockEngine::Config config;
  config.timing.zero_delay = true;
  auto engine = mocker::MockEngine::Create(loop, config);
  ASSERT_TRUE(engine.ok());
  std::mutex mu;
  (*engine)->SetKvEventListener([&](const std::vector<mocker::KvEvent>& events) {
    std::vector<KvCacheEvent> converted;
    for (const auto& e : events) {
      converted.push_back(
          {e.kind == mocker::KvEvent::Kind::kStored ? Type::kStored : Type::kRemoved, e.block_hash,
           e.parent_hash});
    }
    std::lock_guard lock(mu);
    indexer_->Apply(0x77, converted);
  });
  std::string text;
  for (int i = 0; i < 50; ++i) text += "w" + std::to_string(i) + " ";
  std::vector<uint32_t> prompt = mocker::Tokenizer::Encode(text);
  std::promise<void> done;
  ASSERT_TRUE((*engine)
                  ->Submit({.id = 1, .prompt = prompt, .max_tokens = 2},
                           [&](const mocker::TokenOutput& out) {
                             if (out.finish != mocker::FinishReason::kNone) done.set_value();
                           })
                  .ok());
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  (*engine)->Stop();
  loop.Stop();
  std::vector<uint64_t> hashes = mocker::ComputeBlockHashes(prompt, 16);
  ASSERT_GE(hashes.size(), 2u);
  auto overlaps = indexer_->Overlaps(hashes);
  EXPECT_EQ(overlaps[0x77], hashes.size());
  EXPECT_NE(Applied("stored", "ok"), "0");
  EXPECT_EQ(Applied("stored", "parent_block_not_found"), "0");
}

}  // namespace
}  // namespace dynobs::llm
