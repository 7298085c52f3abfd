#include "dynobs/llm/mocker/engine_metrics.h"

#include <atomic>
#include <functional>

namespace dynobs::llm::mocker {
namespace {

using Reader = std::function<double()>;

Reader Of(const std::atomic<uint64_t>& counter) {
  return [&counter] { return static_cast<double>(counter.load(std::memory_order_relaxed)); };
}

Reader OfRate(const std::atomic<double>& rate) {
  return [&rate] { return rate.load(std::memory_order_relaxed); };
}

Reader Zero() {
  return [] { return 0.0; };
}

}  // namespace

StatusOr<std::shared_ptr<metrics::Registry>> NewKvbmRegistry(const MockEngine& engine) {
  auto registry = std::make_shared<metrics::Registry>();
  const KvbmStats& s = engine.kvbm();
  struct Def {
    const char* name;
    const char* help;
    Reader read;
    bool counter;
  };
  const Def defs[] = {
      {"kvbm_offload_blocks_d2h", "Blocks offloaded from device to host", Of(s.offload_d2h), true},
      {"kvbm_offload_blocks_h2d", "Blocks offloaded from host to disk", Of(s.offload_h2d), true},
      {"kvbm_offload_blocks_d2d", "Blocks offloaded from device to disk", Of(s.offload_d2d), true},
      {"kvbm_offload_blocks_d2o", "Blocks offloaded from device to object storage", Zero(), true},
      {"kvbm_onboard_blocks_h2d", "Blocks onboarded from host to device", Of(s.onboard_h2d), true},
      {"kvbm_onboard_blocks_d2d", "Blocks onboarded from disk to device", Of(s.onboard_d2d), true},
      {"kvbm_onboard_blocks_o2d", "Blocks onboarded from object storage to device", Zero(), true},
      {"kvbm_matched_tokens", "Tokens matched in KVBM caches", Of(s.matched_tokens), true},
      {"kvbm_object_read_failures", "Failed object storage reads (blocks)", Zero(), true},
      {"kvbm_object_write_failures", "Failed object storage writes (blocks)", Zero(), true},
      {"kvbm_host_cache_hit_rate", "Host cache hit rate (0.0-1.0) over a sliding window",
       OfRate(s.host_hit_rate), false},
      {"kvbm_disk_cache_hit_rate", "Disk cache hit rate (0.0-1.0) over a sliding window",
       OfRate(s.disk_hit_rate), false},
      {"kvbm_object_cache_hit_rate", "Object storage cache hit rate (0.0-1.0)", Zero(), false},
  };
  for (const Def& d : defs) {
    metrics::MetricSpec spec{.name = d.name, .help = d.help};
    Status st = d.counter ? registry->CreateCallbackCounter(std::move(spec), d.read)
                          : registry->CreateCallbackGauge(std::move(spec), d.read);
    if (!st.ok()) return st;
  }
  return registry;
}

Status RegisterWorkerGauges(metrics::Registry& registry, const MockEngine& engine,
                            const std::string& model, const std::string& component, int dp_rank) {
  metrics::Labels labels = {
      {"model", model}, {"dynamo_component", component}, {"dp_rank", std::to_string(dp_rank)}};
  const MockEngine* e = &engine;
  Status s =
      registry.CreateCallbackGauge({.name = "dynamo_component_total_blocks",
                                    .help = "Total number of KV cache blocks",
                                    .const_labels = labels},
                                   [e] { return static_cast<double>(e->load().total_blocks); });
  if (!s.ok()) return s;
  return registry.CreateCallbackGauge(
      {.name = "dynamo_component_gpu_cache_usage_percent",
       .help = "GPU KV cache usage as a fraction (0.0-1.0)",
       .const_labels = labels},
      [e] {
        auto l = e->load();
        return l.total_blocks == 0 ? 0.0 : static_cast<double>(l.used_blocks) / l.total_blocks;
      });
}

}  // namespace dynobs::llm::mocker
