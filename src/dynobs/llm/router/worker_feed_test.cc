// The router's view of real (in-process) workers: their loads and KV blocks arrive over their
// load_metrics streams; a worker that leaves discovery is forgotten.
#include "dynobs/llm/router/worker_feed.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "dynobs/llm/mocker/block_hash.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"
#include "dynobs/llm/worker/generate_handler.h"
#include "dynobs/llm/worker/load_publisher.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/server.h"

namespace dynobs::llm {
namespace {

constexpr auto kWait = std::chrono::seconds(5);

// One worker: engine, load publisher, request plane, registered in (mem) discovery.
struct TestWorker {
  TestWorker(http::EventLoop& loop, runtime::Discovery& discovery, const std::string& ns,
             uint64_t id)
      : id(id), server(loop, {}) {
    mocker::MockEngine::Config config;
    config.timing.zero_delay = true;
    engine = std::move(*mocker::MockEngine::Create(loop, config));
    auto component =
        metrics::MetricsScope::ForRuntime(id)->NewNamespace(ns)->NewComponent("backend");
    publisher = std::make_unique<LoadPublisher>(loop, *engine, id, *component,
                                                std::chrono::milliseconds(5));
    EXPECT_TRUE(server
                    .AddEndpoint("generate", MakeGenerateHandler(*engine),
                                 *component->NewEndpoint("generate"))
                    .ok());
    EXPECT_TRUE(server
                    .AddEndpoint("load_metrics", publisher->Handler(),
                                 *component->NewEndpoint("load_metrics"))
                    .ok());
    EXPECT_TRUE(server.Start().ok());
    EXPECT_TRUE(discovery
                    .Register({.path = {ns, "backend", "generate"},
                               .instance_id = id,
                               .address = server.address()})
                    .ok());
  }
  ~TestWorker() {
    publisher->Stop();
    server.Stop();
    engine->Stop();
  }
  uint64_t id;
  std::unique_ptr<mocker::MockEngine> engine;
  std::unique_ptr<LoadPublisher> publisher;
  runtime::RequestPlaneServer server;
};

class WorkerFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_.Start();
    discovery_ =
        std::move(*runtime::CreateDiscovery({.backend = runtime::DiscoveryConfig::Backend::kMem}));
    ns_ = std::string("feed-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto indexer = KvIndexer::Create(
        *metrics::MetricsScope::ForRuntime(1)->NewNamespace(ns_)->NewComponent("backend"));
    ASSERT_TRUE(indexer.ok());
    indexer_ = std::move(*indexer);
    client_ = std::make_unique<runtime::RequestPlaneClient>(loop_);
  }
  void TearDown() override {
    feed_.reset();
    workers_.clear();
    client_.reset();
    discovery_.reset();
    loop_.Stop();
  }
  void StartFeed() {
    auto feed = WorkerFeed::Create(*discovery_, *client_, loop_, indexer_.get(),
                                   {.generate = {ns_, "backend", "generate"}});
    ASSERT_TRUE(feed.ok()) << feed.status().ToString();
    feed_ = std::move(*feed);
  }
  void Generate(TestWorker& w, const std::vector<uint32_t>& prompt) {
    EngineRequest r;
    r.token_ids = prompt;
    r.max_tokens = 2;
    std::promise<Status> done;
    auto h = client_->Generate(
        w.server.address(), "generate", {}, r.ToJson(),
        {.on_item = [](std::string) {}, .on_end = [&](Status s) { done.set_value(std::move(s)); }});
    auto f = done.get_future();
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    ASSERT_TRUE(f.get().ok());
  }

  http::EventLoop loop_{2};
  std::unique_ptr<runtime::Discovery> discovery_;
  std::string ns_;
  std::unique_ptr<KvIndexer> indexer_;
  std::unique_ptr<runtime::RequestPlaneClient> client_;
  std::vector<std::unique_ptr<TestWorker>> workers_;
  std::unique_ptr<WorkerFeed> feed_;
};

std::vector<uint32_t> Prompt(const std::string& prefix, int words) {
  std::string text;
  for (int i = 0; i < words; ++i) text += prefix + std::to_string(i) + " ";
  return mocker::Tokenizer::Encode(text);
}

TEST_F(WorkerFeedTest, SeesEveryWorkersLoadAndWhereThePrefixesAre) {
  workers_.push_back(std::make_unique<TestWorker>(loop_, *discovery_, ns_, 0xa));
  workers_.push_back(std::make_unique<TestWorker>(loop_, *discovery_, ns_, 0xb));
  StartFeed();
  ASSERT_TRUE(feed_->WaitForLoads(2, kWait));
  auto loads = feed_->loads();
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(loads[0xa].kv_total_blocks, 8192u);

  const auto a_prompt = Prompt("alpha", 60);
  const auto b_prompt = Prompt("beta", 60);
  Generate(*workers_[0], a_prompt);
  Generate(*workers_[1], b_prompt);
  const auto a_hashes = mocker::ComputeBlockHashes(a_prompt, 16);
  const auto b_hashes = mocker::ComputeBlockHashes(b_prompt, 16);
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while ((indexer_->Overlaps(a_hashes)[0xa] < a_hashes.size() ||
          indexer_->Overlaps(b_hashes)[0xb] < b_hashes.size()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto a = indexer_->Overlaps(a_hashes);
  EXPECT_EQ(a[0xa], a_hashes.size());
  EXPECT_FALSE(a.contains(0xb));
  EXPECT_EQ(indexer_->Overlaps(b_hashes)[0xb], b_hashes.size());
  EXPECT_EQ(feed_->event_gaps(), 0u);
}

TEST_F(WorkerFeedTest, AWorkerThatLeavesDiscoveryIsForgotten) {
  workers_.push_back(std::make_unique<TestWorker>(loop_, *discovery_, ns_, 0xa));
  workers_.push_back(std::make_unique<TestWorker>(loop_, *discovery_, ns_, 0xb));
  StartFeed();
  ASSERT_TRUE(feed_->WaitForLoads(2, kWait));
  const auto prompt = Prompt("gone", 40);
  Generate(*workers_[0], prompt);
  const auto hashes = mocker::ComputeBlockHashes(prompt, 16);
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (indexer_->blocks(0xa) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GT(indexer_->blocks(0xa), 0u);
  ASSERT_TRUE(discovery_->Deregister(0xa).ok());
  deadline = std::chrono::steady_clock::now() + kWait;
  while (feed_->loads().size() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(feed_->loads().size(), 1u);
  EXPECT_TRUE(feed_->loads().contains(0xb));
  EXPECT_EQ(indexer_->blocks(0xa), 0u);
  EXPECT_TRUE(indexer_->Overlaps(hashes).empty());
}

}  // namespace
}  // namespace dynobs::llm
