#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/llm/router/worker_feed.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/metric_vec.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/metrics/scope.h"

namespace dynobs::llm::frontend {

// The router families of spec §3.7:
//  (a) dynamo_component_router_* on the component of the routed endpoint (its auto labels, plus
//      router_id = the frontend's instance id in decimal), created eagerly, observed only in kv
//      mode (Dynamo registers them in every mode and leaves them at zero otherwise);
//  (b) dynamo_router_overhead_* on the frontend registry (router_id), in milliseconds, observed
//      for each request routed in kv mode;
//  (c) dynamo_frontend_router_queue_pending_{requests,isl_tokens}{worker_type} on the frontend
//      registry: the families always, the series ("decode": aggregated workers) only once
//      SetQueue is called, i.e. when the router queue is on;
//  (d) dynamo_frontend_worker_* on the frontend registry, labels worker_id (decimal), dp_rank,
//      worker_type ("decode": aggregated workers).
// Thread safety: all methods may be called from any thread.
class RouterMetrics {
 public:
  static StatusOr<std::unique_ptr<RouterMetrics>> Create(const metrics::MetricsScope& component,
                                                         metrics::Registry& frontend,
                                                         uint64_t router_id);

  // (a), for one request routed by KV overlap, at its end.
  void ObserveKvRequest(uint32_t input_tokens, uint32_t output_tokens, double ttft_seconds,
                        double avg_itl_seconds, double kv_hit_rate) const;
  // (b): the cumulative times of one KV routing decision (ms): block hashes computed, sequence
  // hashes computed (the same step here: the block hashes are chained), overlaps found, worker
  // chosen.
  void ObserveOverhead(double hashed_ms, double sequenced_ms, double found_ms,
                       double total_ms) const;
  // (d): the last TTFT and ISL of a request served by `worker_id`, and its last ITL.
  void SetWorkerTtft(uint64_t worker_id, double ttft_seconds, uint32_t input_tokens) const;
  void SetWorkerItl(uint64_t worker_id, double itl_seconds) const;
  // (c): the router queue's size and the prompt tokens waiting in it.
  void SetQueue(int64_t pending_requests, int64_t pending_isl_tokens) const;
  // (d): the load the workers last reported (kv mode: their load_metrics streams).
  void SetWorkerLoads(const std::map<uint64_t, WorkerLoad>& loads) const;

 private:
  RouterMetrics() = default;
  metrics::IntCounter requests_;
  metrics::Histogram ttft_, itl_, isl_, osl_, kv_hit_rate_;
  metrics::Histogram kv_transfer_latency_;  // disaggregated serving only: never observed here
  metrics::IntCounter remote_query_failures_, remote_write_failures_;  // no remote indexer
  metrics::Histogram block_hashing_, seq_hashing_, find_matches_, scheduling_, total_;
  metrics::IntGaugeVec active_decode_blocks_, active_prefill_tokens_, last_isl_;
  metrics::GaugeVec last_ttft_, last_itl_;
  metrics::IntGaugeVec queue_pending_requests_, queue_pending_isl_tokens_;
};

}  // namespace dynobs::llm::frontend
