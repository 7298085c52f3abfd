// Frontend families (spec §3.4, §3.5): exact values after a known workload, the error_type
// mapping, and the bucket override variables.
#include "dynobs/llm/frontend/frontend_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/metrics/exposition.h"

namespace dynobs::llm::frontend {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class FrontendMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = FrontendMetrics::Create(registry_, FrontendBuckets{});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    metrics_ = std::move(*m);
  }
  // The sample line of `series` (name{labels}), or "" when absent.
  std::string Sample(std::string_view series) const {
    const std::string text = metrics::ScrapeText(registry_);
    const std::string line_start = "\n" + std::string(series) + " ";  // not the HELP line
    size_t at = text.find(line_start);
    if (at == std::string::npos) return "";
    size_t value = at + line_start.size();
    return text.substr(value, text.find('\n', value) - value);
  }

  metrics::Registry registry_;
  std::unique_ptr<FrontendMetrics> metrics_;
};

TEST_F(FrontendMetricsTest, AStreamedRequestCountsEveryFamilyOnce) {
  const auto t0 = Clock::now();
  auto r = metrics_->StartRequest("Mock-LLM", ApiEndpoint::kChatCompletions, RequestType::kStream);
  EXPECT_EQ(Sample(R"(dynamo_frontend_inflight_requests{model="mock-llm"})"), "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_active_requests{model="mock-llm"})"), "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_queued_requests{model="mock-llm"})"), "1");
  r->SetInputTokens(100);
  r->ObserveCachedTokens(64);
  r->ObserveCachedTokens(64);  // once per request
  r->OnTokens(0, t0);          // nothing
  r->OnTokens(1, t0 + std::chrono::milliseconds(50));
  EXPECT_EQ(Sample(R"(dynamo_frontend_queued_requests{model="mock-llm"})"), "0");
  r->OnTokens(2, t0 + std::chrono::milliseconds(70));  // 20 ms for 2 tokens: ITL 10 ms twice
  r->OnTokens(1, t0 + std::chrono::milliseconds(80));
  EXPECT_EQ(r->output_tokens(), 4u);
  EXPECT_NEAR(r->avg_itl_seconds(), 0.010, 1e-9);
  r->Finish(std::nullopt);
  r->Finish(ApiErrorKind::kInternal);  // idempotent
  r.reset();

  EXPECT_EQ(
      Sample(
          R"(dynamo_frontend_requests_total{endpoint="chat_completions",error_type="",model="mock-llm",request_type="stream",status="success"})"),
      "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_inflight_requests{model="mock-llm"})"), "0");
  EXPECT_EQ(Sample(R"(dynamo_frontend_active_requests{model="mock-llm"})"), "0");
  EXPECT_EQ(Sample(R"(dynamo_frontend_queued_requests{model="mock-llm"})"), "0");
  EXPECT_EQ(Sample(R"(dynamo_frontend_output_tokens_total{model="mock-llm"})"), "4");
  EXPECT_EQ(Sample(R"(dynamo_frontend_time_to_first_token_seconds_count{model="mock-llm"})"), "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_inter_token_latency_seconds_count{model="mock-llm"})"), "3");
  EXPECT_EQ(Sample(R"(dynamo_frontend_inter_token_latency_seconds_sum{model="mock-llm"})"), "0.03");
  EXPECT_EQ(Sample(R"(dynamo_frontend_input_sequence_tokens_sum{model="mock-llm"})"), "100");
  EXPECT_EQ(Sample(R"(dynamo_frontend_output_sequence_tokens_sum{model="mock-llm"})"), "4");
  EXPECT_EQ(Sample(R"(dynamo_frontend_cached_tokens_count{model="mock-llm"})"), "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_request_duration_seconds_count{model="mock-llm"})"), "1");
}

TEST_F(FrontendMetricsTest, AnUnfinishedRequestIsAnInternalErrorAndNoTokensNoOsl) {
  {
    auto r = metrics_->StartRequest("m", ApiEndpoint::kCompletions, RequestType::kUnary);
    r->OnClientDisconnected();
    r->OnRejected();
  }
  EXPECT_EQ(
      Sample(
          R"(dynamo_frontend_requests_total{endpoint="completions",error_type="internal",model="m",request_type="unary",status="error"})"),
      "1");
  EXPECT_EQ(Sample("dynamo_frontend_disconnected_clients"), "1");
  EXPECT_EQ(
      Sample(
          R"(dynamo_frontend_model_cancellation_total{endpoint="completions",model="m",request_type="unary"})"),
      "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_rejection_total{endpoint="completions",model="m"})"),
            "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_output_sequence_tokens_count{model="m"})"), "");
  EXPECT_EQ(Sample(R"(dynamo_frontend_queued_requests{model="m"})"), "0");
}

TEST_F(FrontendMetricsTest, ModelConfigStageAndEventLoopFamilies) {
  metrics_->SetModelConfig({.name = "Mock-LLM",
                            .context_length = 4096,
                            .kv_block_size = 16,
                            .total_kv_blocks = 8192,
                            .max_num_seqs = 256,
                            .max_num_batched_tokens = 8192,
                            .migration_limit = 3});
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_total_kv_blocks{model="Mock-LLM"})"), "8192");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_context_length{model="Mock-LLM"})"), "4096");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_kv_cache_block_size{model="Mock-LLM"})"), "16");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_max_num_seqs{model="Mock-LLM"})"), "256");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_max_num_batched_tokens{model="Mock-LLM"})"), "8192");
  EXPECT_EQ(Sample(R"(dynamo_frontend_model_migration_limit{model="Mock-LLM"})"), "3");
  metrics_->ObserveStage(FrontendMetrics::Stage::kRoute, 0.002);
  EXPECT_EQ(Sample(R"(dynamo_frontend_stage_duration_seconds_count{stage="route"})"), "1");
  metrics_->ObserveTokenize(0.002);
  EXPECT_EQ(Sample("dynamo_frontend_tokenize_seconds_count"), "1");
  EXPECT_EQ(Sample(R"(dynamo_frontend_tokenizer_latency_ms_sum{operation="tokenize"})"), "2");
  metrics_->ObserveDetokenize(30, 3);
  EXPECT_EQ(Sample("dynamo_frontend_detokenize_total_us"), "30");
  EXPECT_EQ(Sample("dynamo_frontend_detokenize_token_count"), "3");
  metrics_->ObserveEventLoopDelay(0.001);
  metrics_->ObserveEventLoopDelay(0.020);
  EXPECT_EQ(Sample("dynamo_frontend_event_loop_delay_seconds_count"), "2");
  EXPECT_EQ(Sample("dynamo_frontend_event_loop_stall_total"), "1");
}

TEST_F(FrontendMetricsTest, DefaultBucketsAreDynamos) {
  const std::string text = metrics::ScrapeText(registry_);
  // TTFT: log(0.001, 480, 18); first bound 0, second 0.0022 (spec §3.4, §3.14).
  auto r = metrics_->StartRequest("b", ApiEndpoint::kChatCompletions, RequestType::kStream);
  r->OnTokens(1);
  r->Finish(std::nullopt);
  const std::string after = metrics::ScrapeText(registry_);
  EXPECT_THAT(after,
              HasSubstr(R"(dynamo_frontend_time_to_first_token_seconds_bucket{model="b",le="0"})"));
  EXPECT_THAT(
      after,
      HasSubstr(R"(dynamo_frontend_time_to_first_token_seconds_bucket{model="b",le="0.0022"})"));
  EXPECT_THAT(
      after,
      HasSubstr(R"(dynamo_frontend_time_to_first_token_seconds_bucket{model="b",le="480"})"));
}

TEST(FrontendBucketsTest, BothVariableNamesAndTheDocumentedOneWins) {
  auto b = LoadFrontendBuckets(env::Reader(env::MapSource({
      {"DYN_HISTOGRAM_DYN_METRICS_TTFT_MIN", "0.01"},
      {"DYN_HISTOGRAM_DYN_METRICS_TTFT_MAX", "10"},
      {"DYN_METRICS_TTFT_MAX", "20"},
      {"DYN_METRICS_ITL_COUNT", "5"},
  })));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->ttft.min, 0.01);
  EXPECT_EQ(b->ttft.max, 20);
  EXPECT_EQ(b->ttft.count, 18u);
  EXPECT_EQ(b->itl.count, 5u);
  EXPECT_EQ(b->request_duration.max, 512);
}

TEST(FrontendBucketsTest, BadValuesAreLoud) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"DYN_METRICS_TTFT_MIN", "abc"},
           {"DYN_METRICS_ITL_COUNT", "0"},
           {"DYN_HISTOGRAM_DYN_METRICS_INPUT_SEQUENCE_MAX", "10"}}) {  // below its min of 50
    auto b = LoadFrontendBuckets(env::Reader(env::MapSource({{name, value}})));
    ASSERT_FALSE(b.ok()) << name;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(b.status().message(), HasSubstr(name.substr(name.find("DYN_METRICS"), 20)));
  }
}

}  // namespace
}  // namespace dynobs::llm::frontend
