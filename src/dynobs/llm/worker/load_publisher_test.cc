// The `load_metrics` endpoint: load on subscribing and on change, KV events after iterations,
// and events a subscriber cannot take counted as dropped.
#include "dynobs/llm/worker/load_publisher.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"
#include "dynobs/llm/worker/generate_handler.h"
#include "dynobs/llm/worker/worker_test_support.h"
#include "dynobs/metrics/exposition.h"
#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/server.h"

namespace dynobs::llm {
namespace {

using ::testing::HasSubstr;
using testing::kWait;
using testing::StreamCollector;

class LoadPublisherTest : public ::testing::Test {
 protected:
  void Start(size_t max_send_queue_bytes = size_t{8} << 20) {
    loop_.Start();
    mocker::MockEngine::Config config;
    config.timing.zero_delay = true;
    config.kv.device_blocks = 64;
    auto engine = mocker::MockEngine::Create(loop_, config);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    runtime_ = metrics::MetricsScope::ForRuntime(0xabc);
    component_ = runtime_->NewNamespace("dynamo")->NewComponent("backend");
    publisher_ = std::make_unique<LoadPublisher>(loop_, *engine_, 0xabc, *component_,
                                                 std::chrono::milliseconds(5));
    server_ = std::make_unique<runtime::RequestPlaneServer>(
        loop_, runtime::RequestPlaneServerOptions{.max_send_queue_bytes = max_send_queue_bytes});
    ASSERT_TRUE(server_
                    ->AddEndpoint("load_metrics", publisher_->Handler(),
                                  *component_->NewEndpoint("load_metrics"))
                    .ok());
    ASSERT_TRUE(server_
                    ->AddEndpoint("generate", MakeGenerateHandler(*engine_),
                                  *component_->NewEndpoint("generate"))
                    .ok());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<runtime::RequestPlaneClient>(loop_);
  }
  void TearDown() override {
    client_.reset();
    if (publisher_) publisher_->Stop();
    if (server_) server_->Stop();
    if (engine_) engine_->Stop();
    loop_.Stop();
  }
  void Generate(std::string_view text) {
    EngineRequest r;
    r.token_ids = mocker::Tokenizer::Encode(text);
    r.max_tokens = 4;
    StreamCollector c;
    auto h = client_->Generate(server_->address(), "generate", {}, r.ToJson(), c.Callbacks());
    ASSERT_TRUE(c.WaitEnd().ok());
  }
  bool WaitSubscribers(size_t n) const {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (publisher_->subscribers() != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return publisher_->subscribers() == n;
  }
  std::string Dropped() const {
    std::string text = metrics::ScrapeText(*runtime_->registry());
    const std::string name = "dynamo_component_kv_publisher_engines_dropped_events_total{";
    size_t at = text.find(name);
    if (at == std::string::npos) return "absent";
    size_t space = text.find(' ', text.find('}', at));
    return text.substr(space + 1, text.find('\n', space) - space - 1);
  }

  http::EventLoop loop_{2};
  std::unique_ptr<mocker::MockEngine> engine_;
  std::shared_ptr<metrics::MetricsScope> runtime_;
  std::shared_ptr<metrics::MetricsScope> component_;
  std::unique_ptr<LoadPublisher> publisher_;
  std::unique_ptr<runtime::RequestPlaneServer> server_;
  std::unique_ptr<runtime::RequestPlaneClient> client_;
};

std::string LongText(int words) {
  std::string text;
  for (int i = 0; i < words; ++i) text += "token" + std::to_string(i) + " ";
  return text;
}

TEST_F(LoadPublisherTest, ASubscriberGetsTheLoadThenKvEvents) {
  Start();
  StreamCollector sub;
  auto h = client_->Generate(server_->address(), "load_metrics", {}, "{}", sub.Callbacks());
  ASSERT_TRUE(sub.WaitFirst());
  auto first = boost::json::parse(sub.items()[0]).as_object();
  ASSERT_TRUE(first.contains("load"));
  const auto& load = first["load"].as_object();
  EXPECT_EQ(load.at("worker_id").as_int64(), 0xabc);
  EXPECT_EQ(load.at("kv_total_blocks").as_int64(), 64);
  EXPECT_EQ(load.at("kv_used_blocks").as_int64(), 0);
  ASSERT_TRUE(WaitSubscribers(1));

  Generate(LongText(40));  // 40+ tokens: at least two full blocks stored
  std::vector<uint64_t> stored;
  uint64_t last_event_id = 0;
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (stored.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    stored.clear();
    for (const auto& item : sub.items()) {
      auto obj = boost::json::parse(item).as_object();
      if (!obj.contains("kv_events")) continue;
      uint64_t id = obj["event_id"].to_number<uint64_t>();
      EXPECT_GT(id, last_event_id);
      last_event_id = id;
      for (const auto& e : obj["kv_events"].as_array()) {
        if (e.at("type").as_string() == "stored") {
          stored.push_back(e.at("block_hash").to_number<uint64_t>());
        }
      }
    }
    last_event_id = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(stored.size(), 2u);
  EXPECT_EQ(Dropped(), "0");
  h->Cancel();
}

TEST_F(LoadPublisherTest, EventsASubscriberCannotTakeAreCountedAsDropped) {
  // A send queue too small for a batch of many events: the subscriber is too slow by
  // definition, its stream is cancelled and the events counted.
  Start(/*max_send_queue_bytes=*/400);
  StreamCollector sub;
  auto h = client_->Generate(server_->address(), "load_metrics", {}, "{}", sub.Callbacks());
  ASSERT_TRUE(sub.WaitFirst());
  ASSERT_TRUE(WaitSubscribers(1));
  Generate(LongText(200));  // ~12 blocks stored in one iteration: over 400 bytes of JSON
  Status end = sub.WaitEnd();
  EXPECT_EQ(end.code(), StatusCode::kResourceExhausted) << end.ToString();
  EXPECT_EQ(publisher_->subscribers(), 0u);
  EXPECT_NE(Dropped(), "0");
  EXPECT_NE(Dropped(), "absent");
}

TEST_F(LoadPublisherTest, ASubscriberThatLeavesIsRemovedAtOnceWithoutDrops) {
  Start();
  StreamCollector sub;
  auto h = client_->Generate(server_->address(), "load_metrics", {}, "{}", sub.Callbacks());
  ASSERT_TRUE(sub.WaitFirst());
  ASSERT_TRUE(WaitSubscribers(1));
  h->Cancel();
  EXPECT_TRUE(WaitSubscribers(0));        // no event needed to notice
  EXPECT_TRUE(server_->WaitIdle(kWait));  // the stream is over: not in flight
  Generate(LongText(40));                 // events with nobody to take them
  EXPECT_EQ(Dropped(), "0");
}

TEST_F(LoadPublisherTest, StopEndsSubscriptionsAndRefusesNewOnes) {
  Start();
  StreamCollector sub;
  auto h = client_->Generate(server_->address(), "load_metrics", {}, "{}", sub.Callbacks());
  ASSERT_TRUE(sub.WaitFirst());
  ASSERT_TRUE(WaitSubscribers(1));
  publisher_->Stop();
  EXPECT_TRUE(sub.WaitEnd().ok());
  StreamCollector late;
  auto h2 = client_->Generate(server_->address(), "load_metrics", {}, "{}", late.Callbacks());
  Status end = late.WaitEnd();
  EXPECT_EQ(end.code(), StatusCode::kUnavailable);
  EXPECT_THAT(end.message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace dynobs::llm
