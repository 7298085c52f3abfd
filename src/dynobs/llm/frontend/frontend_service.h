#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/llm/frontend/frontend_metrics.h"
#include "dynobs/llm/frontend/openai_request.h"
#include "dynobs/llm/frontend/route_paths.h"
#include "dynobs/llm/frontend/router_metrics.h"
#include "dynobs/llm/router/kv_indexer.h"
#include "dynobs/llm/router/router_queue.h"
#include "dynobs/llm/router/worker_feed.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/endpoint_client.h"
#include "dynobs/runtime/request_plane/client.h"

namespace dynobs::llm::frontend {

enum class RouterMode { kRoundRobin, kRandom, kKv };
// "round_robin", "random", "kv"; InvalidArgument otherwise.
[[nodiscard]] StatusOr<RouterMode> ParseRouterMode(std::string_view text);

struct FrontendOptions {
  runtime::EndpointPath generate{"dynamo", "backend", "generate"};  // the workers' endpoint
  RouterMode router_mode = RouterMode::kRoundRobin;
  size_t max_inflight = 4096;  // requests in flight at once; over: overload
  int overload_status = kDefaultOverloadStatus;
  // DYN_HTTP_BACKEND_STREAM_TIMEOUT_SECS: a backend stream silent this long ends as
  // response_timeout. 0: none.
  std::chrono::milliseconds backend_stream_timeout{0};
  uint32_t default_max_tokens = 256;  // when a request gives none
  uint64_t router_id = 0;             // the frontend's instance id (router_id label)
  RequestLimits limits;
  RoutePaths paths;  // where AddRoutes puts the API (chat, completions, models)
  // DYN_ROUTER_QUEUE_THRESHOLD (kv mode only): requests wait while every worker's prompt tokens
  // still to prefill exceed this fraction of its max_num_batched_tokens (RouterQueue).
  std::optional<double> router_queue_threshold;
};

// The OpenAI-compatible API in front of the workers (issue 5): POST /v1/chat/completions,
// POST /v1/completions (streamed as SSE or unary), GET /v1/models. Each request is parsed and
// validated, templated and tokenized, routed to a worker serving its model (round robin,
// random, or by KV overlap and load), sent over the request plane with its trace context, and
// answered as its tokens come back; every §3.4 family is counted. A client that goes away
// cancels the worker's generation.
//
// Thread safety: handlers run on the loop's threads.
// Lifetime: the loop, the discovery and the registry outlive the service.
class FrontendService {
 public:
  // `registry`: the frontend's own (the §3.4/§3.5/§3.6 families); `router_component`: the
  // component scope of the routed endpoint (the KV indexer's families, kv mode).
  static StatusOr<std::unique_ptr<FrontendService>> Create(
      http::EventLoop& loop, runtime::Discovery& discovery,
      const std::shared_ptr<metrics::Registry>& registry,
      const metrics::MetricsScope& router_component, const FrontendBuckets& buckets,
      FrontendOptions options);
  ~FrontendService();

  void AddRoutes(http::Router& router);
  // Models served now (from the workers' discovery records), sorted.
  [[nodiscard]] std::vector<std::string> models() const;
  [[nodiscard]] size_t inflight() const { return inflight_.load(); }
  // From now on new requests are refused (503, "shutting down"); those in flight go on.
  void SetDraining() { draining_.store(true); }
  [[nodiscard]] const FrontendMetrics& metrics() const { return *metrics_; }

 private:
  class Call;
  FrontendService(http::EventLoop& loop, FrontendOptions options);
  void HandleGenerate(ApiEndpoint endpoint, http::Request&& request, http::Responder respond);
  void HandleModels(http::Request&& request, http::Responder respond);
  struct Routed {
    runtime::Instance instance;
    double kv_hit_rate = -1;      // kv mode: predicted overlap / the prompt's blocks
    uint32_t prefill_tokens = 0;  // kv mode: prompt tokens not in the worker's cache
  };
  // Chooses an instance of `model` for a prompt; UNAVAILABLE when none serves it now.
  StatusOr<Routed> Route(const std::string& model, const std::vector<uint32_t>& tokens);
  // Routes a parsed request (after the router queue, when on) and starts it.
  void Dispatch(const std::shared_ptr<Call>& call, const GenerationParams& params,
                std::vector<uint32_t> tokens, std::chrono::steady_clock::time_point route_start);
  void OnInstances(const std::vector<runtime::Instance>& instances);

  http::EventLoop& loop_;
  const FrontendOptions options_;
  std::unique_ptr<FrontendMetrics> metrics_;
  std::unique_ptr<RouterMetrics> router_metrics_;
  std::unique_ptr<runtime::RequestPlaneClient> client_;
  std::unique_ptr<runtime::EndpointClient> workers_;
  std::unique_ptr<KvIndexer> indexer_;  // kv mode
  std::unique_ptr<WorkerFeed> feed_;    // kv mode
  std::atomic<size_t> inflight_{0};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_{0};
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::set<std::string> models_seen_;   // model-config gauges set once per model
  std::unique_ptr<RouterQueue> queue_;  // kv mode with a threshold
};

}  // namespace dynobs::llm::frontend
