// The `generate` endpoint over the request plane on loopback, with the zero-delay mock engine:
// streamed outputs, prefix hits, refusals, cancellation and the canary payload.
#include "dynobs/llm/worker/generate_handler.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"
#include "dynobs/llm/worker/worker_test_support.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/server.h"

namespace dynobs::llm {
namespace {

using ::testing::HasSubstr;
using testing::kWait;
using testing::StreamCollector;

class GenerateHandlerTest : public ::testing::Test {
 protected:
  void StartWorker(mocker::MockEngine::Config config) {
    loop_.Start();
    auto engine = mocker::MockEngine::Create(loop_, config);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    scope_ = metrics::MetricsScope::ForRuntime(7)
                 ->NewNamespace("dynamo")
                 ->NewComponent("backend")
                 ->NewEndpoint("generate");
    server_ =
        std::make_unique<runtime::RequestPlaneServer>(loop_, runtime::RequestPlaneServerOptions{});
    ASSERT_TRUE(server_->AddEndpoint("generate", MakeGenerateHandler(*engine_), *scope_).ok());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<runtime::RequestPlaneClient>(loop_);
  }
  static mocker::MockEngine::Config ZeroDelay() {
    mocker::MockEngine::Config c;
    c.timing.zero_delay = true;
    return c;
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    if (engine_) engine_->Stop();
    loop_.Stop();
  }
  std::unique_ptr<runtime::StreamHandle> Send(const std::string& body, StreamCollector& c) {
    return client_->Generate(server_->address(), "generate", {}, body, c.Callbacks());
  }
  static std::vector<EngineOutput> Parse(const std::vector<std::string>& items) {
    std::vector<EngineOutput> out;
    for (const auto& i : items) {
      auto o = EngineOutput::FromJson(i);
      EXPECT_TRUE(o.ok()) << i;
      if (o.ok()) out.push_back(*o);
    }
    return out;
  }

  http::EventLoop loop_{2};
  std::unique_ptr<mocker::MockEngine> engine_;
  std::shared_ptr<metrics::MetricsScope> scope_;
  std::unique_ptr<runtime::RequestPlaneServer> server_;
  std::unique_ptr<runtime::RequestPlaneClient> client_;
};

EngineRequest Prompt(std::string_view text, uint32_t max_tokens) {
  EngineRequest r;
  r.token_ids = mocker::Tokenizer::Encode(text);
  r.max_tokens = max_tokens;
  return r;
}

TEST_F(GenerateHandlerTest, StreamsMaxTokensThenFinishesWithLength) {
  StartWorker(ZeroDelay());
  StreamCollector c;
  auto h = Send(Prompt("the quick brown fox jumps over the lazy dog", 12).ToJson(), c);
  ASSERT_TRUE(c.WaitEnd().ok());
  std::vector<EngineOutput> outs = Parse(c.items());
  ASSERT_FALSE(outs.empty());
  size_t tokens = 0;
  for (size_t i = 0; i < outs.size(); ++i) {
    tokens += outs[i].token_ids.size();
    EXPECT_EQ(outs[i].cached_tokens.has_value(), i == 0);
    EXPECT_EQ(outs[i].finish_reason.empty(), i + 1 < outs.size());
    EXPECT_EQ(outs[i].text, mocker::Tokenizer::Decode(outs[i].token_ids));
  }
  EXPECT_EQ(tokens, 12u);
  EXPECT_EQ(outs.back().finish_reason, "length");
  EXPECT_EQ(*outs[0].cached_tokens, 0u);
}

TEST_F(GenerateHandlerTest, ARepeatedPromptReportsItsCachedPrefix) {
  StartWorker(ZeroDelay());
  // 64 words: several full 16-token blocks.
  std::string text;
  for (int i = 0; i < 64; ++i) text += "word" + std::to_string(i) + " ";
  const std::string body = Prompt(text, 2).ToJson();
  const size_t prompt_tokens = mocker::Tokenizer::Encode(text).size();
  ASSERT_GE(prompt_tokens, 32u);
  uint32_t cached[2] = {0, 0};
  for (uint32_t& c : cached) {
    StreamCollector col;
    auto h = Send(body, col);
    ASSERT_TRUE(col.WaitEnd().ok());
    auto outs = Parse(col.items());
    ASSERT_FALSE(outs.empty());
    c = outs[0].cached_tokens.value_or(999);
  }
  EXPECT_EQ(cached[0], 0u);
  // Every full block of the prompt but the last token's is reused.
  EXPECT_GE(cached[1], (prompt_tokens - 1) / 16 * 16 - 16);
  EXPECT_GT(cached[1], 0u);
}

TEST_F(GenerateHandlerTest, BadRequestsFailWithInvalidArgument) {
  StartWorker(ZeroDelay());
  for (const char* body : {"not json", R"({"token_ids":"x"})", R"({"token_ids":[]})",
                           R"({"token_ids":[5],"stop_conditions":{"max_tokens":0}})"}) {
    StreamCollector c;
    auto h = Send(body, c);
    Status end = c.WaitEnd();
    EXPECT_EQ(end.code(), StatusCode::kInvalidArgument) << body << ": " << end.ToString();
  }
}

TEST_F(GenerateHandlerTest, APromptLongerThanTheContextIsRefused) {
  mocker::MockEngine::Config config = ZeroDelay();
  config.scheduler.context_length = 64;
  StartWorker(config);
  EngineRequest r;
  r.token_ids.assign(100, 1000);
  StreamCollector c;
  auto h = Send(r.ToJson(), c);
  Status end = c.WaitEnd();
  EXPECT_FALSE(end.ok());
  EXPECT_THAT(end.message(), HasSubstr("context"));
}

TEST_F(GenerateHandlerTest, CancellingTheStreamStopsTheGeneration) {
  mocker::MockEngine::Config config;  // real timing: 4 ms a step, so the stream is long
  StartWorker(config);
  StreamCollector c;
  auto h = Send(Prompt("tell me a long story", 100000).ToJson(), c);
  ASSERT_TRUE(c.WaitFirst());
  ASSERT_EQ(engine_->load().running, 1u);
  h->Cancel();
  EXPECT_EQ(c.WaitEnd().code(), StatusCode::kCancelled);
  // The engine drops the sequence: nothing running, its blocks freed.
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (engine_->load().running != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(engine_->load().running, 0u);
  EXPECT_EQ(engine_->load().waiting, 0u);
  EXPECT_TRUE(server_->WaitIdle(kWait));
}

TEST_F(GenerateHandlerTest, TheCanaryPayloadGetsOneToken) {
  StartWorker(ZeroDelay());
  auto parsed = EngineRequest::FromJson(CanaryPayload(), 16);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->health_check);
  StreamCollector c;
  auto h = Send(CanaryPayload(), c);
  ASSERT_TRUE(c.WaitEnd().ok());
  size_t tokens = 0;
  for (const auto& o : Parse(c.items())) tokens += o.token_ids.size();
  EXPECT_EQ(tokens, 1u);
}

}  // namespace
}  // namespace dynobs::llm
