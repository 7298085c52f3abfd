#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/llm/frontend/openai_error.h"
#include "dynobs/llm/frontend/openai_request.h"
#include "dynobs/metrics/buckets.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/metric_vec.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/runtime/discovery/instance.h"

namespace dynobs::llm::frontend {

// The five configurable frontend histograms (spec §3.4, decided difference 2).
struct FrontendBuckets {
  metrics::LogBucketSpec request_duration{1, 512, 10};
  metrics::LogBucketSpec input_sequence{50, 128000, 12};
  metrics::LogBucketSpec output_sequence{50, 32000, 10};
  metrics::LogBucketSpec ttft{0.001, 480, 18};
  metrics::LogBucketSpec itl{0.001, 2, 13};
};

// Reads DYN_METRICS_{REQUEST_DURATION,INPUT_SEQUENCE,OUTPUT_SEQUENCE,TTFT,ITL}_{MIN,MAX,COUNT}
// and Dynamo's effective names DYN_HISTOGRAM_DYN_METRICS_..._{MIN,MAX,COUNT}; the documented name
// wins when both are set. A value that is not a number, or a resulting spec Dynamo would refuse
// (min <= 0, min >= max, count outside 1..512), is an InvalidArgument naming the variable
// (decided difference 1: Dynamo falls back to its defaults silently).
[[nodiscard]] StatusOr<FrontendBuckets> LoadFrontendBuckets(const env::Reader& env);

enum class RequestType { kStream, kUnary };
[[nodiscard]] std::string_view RequestTypeLabel(RequestType type);

// Every family of spec §3.4 and §3.5 (stage, tokenize and template timings, event-loop delay),
// on the frontend's own registry (no auto labels). Model labels are lower-cased for the request
// families, as Dynamo does; the model-config gauges use the name as given.
//
// Thread safety: all methods may be called from any thread.
class FrontendMetrics {
 public:
  static StatusOr<std::unique_ptr<FrontendMetrics>> Create(metrics::Registry& registry,
                                                           const FrontendBuckets& buckets);

  // One request's accounting, from the HTTP handler's start to its end (Dynamo's InflightGuard
  // and response collector). Not thread-safe: one request is handled by one thread at a time.
  class Request {
   public:
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    ~Request();  // an unfinished request counts as status="error", error_type="internal"

    // The prompt's size (observed with the first token) and cached tokens (observed once).
    void SetInputTokens(uint32_t tokens) { input_tokens_ = tokens; }
    void ObserveCachedTokens(uint32_t tokens);
    // A response chunk carrying `tokens` new tokens (0 allowed: nothing is observed).
    void OnTokens(uint32_t tokens, std::chrono::steady_clock::time_point now);
    void OnTokens(uint32_t tokens) { OnTokens(tokens, std::chrono::steady_clock::now()); }
    // The client went away: disconnected_clients and model_cancellation_total.
    void OnClientDisconnected();
    // The request was refused as overload (model_rejection_total).
    void OnRejected();
    // Ends the request: requests_total (status "success" for nullopt, else "error" with the
    // kind's error_type), inflight/active/queued, duration, OSL. Idempotent.
    void Finish(std::optional<ApiErrorKind> error);

    [[nodiscard]] uint32_t output_tokens() const { return output_tokens_; }
    [[nodiscard]] double ttft_seconds() const { return ttft_seconds_; }
    // Mean inter-token latency so far (0 before the second chunk).
    [[nodiscard]] double avg_itl_seconds() const;

   private:
    friend class FrontendMetrics;
    Request(const FrontendMetrics& m, std::string model, ApiEndpoint endpoint, RequestType type);
    void LeaveQueue();

    const FrontendMetrics& m_;
    const std::string model_;
    const ApiEndpoint endpoint_;
    const RequestType type_;
    const std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_chunk_;
    metrics::IntGauge inflight_, active_, queued_;
    metrics::IntCounter output_counter_;  // this model's output_tokens_total, from the first token
    metrics::Histogram itl_;              // this model's ITL histogram, from the second chunk
    bool queued_now_ = true;
    bool finished_ = false;
    bool cached_observed_ = false;
    uint32_t input_tokens_ = 0;
    uint32_t output_tokens_ = 0;
    uint32_t later_tokens_ = 0;  // tokens after the first chunk (ITL denominator)
    double ttft_seconds_ = 0;
    double itl_total_seconds_ = 0;
  };

  [[nodiscard]] std::unique_ptr<Request> StartRequest(std::string_view model, ApiEndpoint endpoint,
                                                      RequestType type) const;

  // dynamo_frontend_model_* gauges from a worker's discovery record (set when a model appears).
  void SetModelConfig(const runtime::ModelInfo& model) const;

  // §3.5: pipeline stages, tokenizer and template timings, the event-loop probe.
  enum class Stage { kPreprocess, kRoute, kTransportRoundtrip };
  void ObserveStage(Stage stage, double seconds) const;
  void ObserveTokenize(double seconds) const;
  void ObserveTemplate(double seconds) const;
  void ObserveDetokenize(double microseconds, uint64_t tokens) const;
  void ObserveEventLoopDelay(double seconds) const;

 private:
  FrontendMetrics() = default;
  static std::string Lower(std::string_view model);

  metrics::IntCounterVec requests_;
  metrics::IntGaugeVec inflight_, active_, queued_;
  metrics::IntGauge disconnected_;
  metrics::HistogramVec duration_, isl_, osl_, cached_, ttft_, itl_;
  metrics::IntCounterVec output_tokens_;
  metrics::HistogramVec tokenizer_ms_;
  metrics::IntGaugeVec model_total_kv_blocks_, model_max_num_seqs_, model_max_batched_,
      model_context_length_, model_block_size_, model_migration_limit_;
  metrics::IntCounterVec migration_, migration_exceeded_, cancellation_, rejection_;
  metrics::HistogramVec stage_duration_;
  metrics::Histogram tokenize_, template_, loop_delay_;
  metrics::Counter detokenize_us_, detokenize_count_, loop_stall_;
};

}  // namespace dynobs::llm::frontend
