#include "dynobs/llm/frontend/router_metrics.h"

#include <fmt/format.h>

#include "dynobs/metrics/buckets.h"
#include "dynobs/metrics/create.h"

namespace dynobs::llm::frontend {

StatusOr<std::unique_ptr<RouterMetrics>> RouterMetrics::Create(
    const metrics::MetricsScope& component, metrics::Registry& frontend, uint64_t router_id) {
  std::unique_ptr<RouterMetrics> m(new RouterMetrics());
  const metrics::Labels router = {{"router_id", std::to_string(router_id)}};
  auto a = [&](std::string_view name, std::string_view help, std::vector<double> buckets = {}) {
    return metrics::MetricSpec{.name = fmt::format("router_{}", name),
                               .help = std::string(help),
                               .const_labels = router,
                               .buckets = std::move(buckets)};
  };
  auto d = [](std::string_view name, std::string_view help) {
    return metrics::MetricSpec{.name = fmt::format("dynamo_frontend_worker_{}", name),
                               .help = std::string(help),
                               .label_names = {"worker_id", "dp_rank", "worker_type"}};
  };
  auto hit_rate = metrics::LinearBuckets(0, 0.05, 21);
  if (!hit_rate.ok()) return hit_rate.status();
  auto hashing_ms = metrics::ExponentialBuckets(0.001, 2, 15);
  auto routing_ms = metrics::ExponentialBuckets(0.01, 3, 17);
  if (!hashing_ms.ok()) return hashing_ms.status();
  if (!routing_ms.ok()) return routing_ms.status();
  auto b = [&](std::string_view name, std::string_view help, const std::vector<double>& buckets) {
    return metrics::MetricSpec{.name = fmt::format("dynamo_router_overhead_{}", name),
                               .help = std::string(help),
                               .const_labels = router,
                               .buckets = buckets};
  };
  for (const Status& s : {
           metrics::AssignCreated(
               component.CreateIntCounter(a("requests_total", "Requests routed by the KV router")),
               &m->requests_),
           metrics::AssignCreated(
               component.CreateHistogram(a("time_to_first_token_seconds",
                                           "Time to first token at the router",
                                           metrics::LogBuckets({0.001, 480, 18}))),
               &m->ttft_),
           metrics::AssignCreated(
               component.CreateHistogram(a("inter_token_latency_seconds",
                                           "Average inter-token latency at the router",
                                           metrics::LogBuckets({0.001, 2, 13}))),
               &m->itl_),
           metrics::AssignCreated(
               component.CreateHistogram(a("input_sequence_tokens",
                                           "Input sequence length of routed requests",
                                           metrics::LogBuckets({50, 128000, 12}))),
               &m->isl_),
           metrics::AssignCreated(
               component.CreateHistogram(a("output_sequence_tokens",
                                           "Output sequence length of routed requests",
                                           metrics::LogBuckets({50, 32000, 10}))),
               &m->osl_),
           metrics::AssignCreated(
               component.CreateHistogram(
                   a("kv_hit_rate", "Predicted KV cache hit rate at routing time", *hit_rate)),
               &m->kv_hit_rate_),
           metrics::AssignCreated(
               component.CreateHistogram(a("kv_transfer_estimated_latency_seconds",
                                           "Estimated KV transfer latency (disaggregated)",
                                           metrics::LogBuckets({0.001, 10, 15}))),
               &m->kv_transfer_latency_),
           metrics::AssignCreated(
               component.CreateIntCounter(a("remote_indexer_query_failures_total",
                                            "Remote indexer overlap queries that failed")),
               &m->remote_query_failures_),
           metrics::AssignCreated(
               component.CreateIntCounter(a("remote_indexer_write_failures_total",
                                            "Remote indexer routing-decision writes that failed")),
               &m->remote_write_failures_),
           metrics::AssignCreated(
               frontend.CreateHistogram(
                   b("block_hashing_ms", "Time computing block hashes (ms)", *hashing_ms)),
               &m->block_hashing_),
           metrics::AssignCreated(
               frontend.CreateHistogram(
                   b("seq_hashing_ms", "Time computing sequence hashes (ms)", *hashing_ms)),
               &m->seq_hashing_),
           metrics::AssignCreated(
               frontend.CreateHistogram(b("indexer_find_matches_ms",
                                          "Time finding prefix matches in the index (ms)",
                                          *routing_ms)),
               &m->find_matches_),
           metrics::AssignCreated(
               frontend.CreateHistogram(
                   b("scheduling_ms", "Time choosing the worker (ms)", *routing_ms)),
               &m->scheduling_),
           metrics::AssignCreated(
               frontend.CreateHistogram(b("total_ms", "Total KV routing time (ms)", *routing_ms)),
               &m->total_),
           metrics::AssignCreated(frontend.CreateIntGaugeVec(
                                      d("active_decode_blocks", "Active decode blocks per worker")),
                                  &m->active_decode_blocks_),
           metrics::AssignCreated(frontend.CreateIntGaugeVec(d("active_prefill_tokens",
                                                               "Active prefill tokens per worker")),
                                  &m->active_prefill_tokens_),
           metrics::AssignCreated(frontend.CreateGaugeVec(d("last_time_to_first_token_seconds",
                                                            "Last time to first token per worker")),
                                  &m->last_ttft_),
           metrics::AssignCreated(frontend.CreateIntGaugeVec(
                                      d("last_input_sequence_tokens",
                                        "Input sequence length of the last request per worker")),
                                  &m->last_isl_),
           metrics::AssignCreated(frontend.CreateGaugeVec(d("last_inter_token_latency_seconds",
                                                            "Last inter-token latency per worker")),
                                  &m->last_itl_),
           metrics::AssignCreated(
               frontend.CreateIntGaugeVec({.name = "dynamo_frontend_router_queue_pending_requests",
 .help = "Requests waiting in the router queue",
 .label_names = {"worker_type"}}),
               &m->queue_pending_requests_),
           metrics::AssignCreated(frontend.CreateIntGaugeVec(
                                      {.name = "dynamo_frontend_router_queue_pending_isl_tokens",
          .help = "Input tokens of the requests waiting in the router queue",
          .label_names = {"worker_type"}}),
                                  &m->queue_pending_isl_tokens_),
       }) {
    if (!s.ok()) return s;
  }
  return m;
}

void RouterMetrics::ObserveKvRequest(uint32_t input_tokens, uint32_t output_tokens,
                                     double ttft_seconds, double avg_itl_seconds,
                                     double kv_hit_rate) const {
  requests_.Inc();
  isl_.Observe(input_tokens);
  if (output_tokens > 0) {
    osl_.Observe(output_tokens);
    ttft_.Observe(ttft_seconds);
  }
  if (output_tokens > 1) itl_.Observe(avg_itl_seconds);
  kv_hit_rate_.Observe(kv_hit_rate);
}

void RouterMetrics::ObserveOverhead(double hashed_ms, double sequenced_ms, double found_ms,
                                    double total_ms) const {
  block_hashing_.Observe(hashed_ms);
  seq_hashing_.Observe(sequenced_ms - hashed_ms);
  find_matches_.Observe(found_ms - sequenced_ms);
  scheduling_.Observe(total_ms - found_ms);
  total_.Observe(total_ms);
}

void RouterMetrics::SetWorkerTtft(uint64_t worker_id, double ttft_seconds,
                                  uint32_t input_tokens) const {
  const std::string id = std::to_string(worker_id);
  last_ttft_.WithLabelValuesOrDetached({id, "0", "decode"}).Set(ttft_seconds);
  last_isl_.WithLabelValuesOrDetached({id, "0", "decode"}).Set(input_tokens);
}

void RouterMetrics::SetQueue(int64_t pending_requests, int64_t pending_isl_tokens) const {
  queue_pending_requests_.WithLabelValuesOrDetached({"decode"}).Set(pending_requests);
  queue_pending_isl_tokens_.WithLabelValuesOrDetached({"decode"}).Set(pending_isl_tokens);
}

void RouterMetrics::SetWorkerItl(uint64_t worker_id, double itl_seconds) const {
  last_itl_.WithLabelValuesOrDetached({std::to_string(worker_id), "0", "decode"}).Set(itl_seconds);
}

void RouterMetrics::SetWorkerLoads(const std::map<uint64_t, WorkerLoad>& loads) const {
  for (const auto& [worker, load] : loads) {
    const std::string id = std::to_string(worker);
    active_decode_blocks_.WithLabelValuesOrDetached({id, "0", "decode"})
        .Set(static_cast<int64_t>(load.active_decode_blocks));
    active_prefill_tokens_.WithLabelValuesOrDetached({id, "0", "decode"})
        .Set(static_cast<int64_t>(load.active_prefill_tokens));
  }
}

}  // namespace dynobs::llm::frontend
