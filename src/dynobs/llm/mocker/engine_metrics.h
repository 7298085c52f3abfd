#pragma once

#include <memory>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::llm::mocker {

// The KVBM families of spec §3.9 for the mock engine's KV cache, on their own raw registry (no
// auto labels), read from the engine at scrape time: kvbm_offload_blocks_{d2h,h2d,d2d,d2o},
// kvbm_onboard_blocks_{h2d,d2d,o2d}, kvbm_matched_tokens, kvbm_{host,disk,object}_cache_hit_rate,
// kvbm_object_{read,write}_failures. Counters keep Dynamo's names (no _total). The object tier does
// not exist in the mock: its families are present and stay 0. Served on DYN_KVBM_METRICS_PORT.
// The engine must outlive the registry's scrapes.
[[nodiscard]] StatusOr<std::shared_ptr<metrics::Registry>> NewKvbmRegistry(
    const MockEngine& engine);

// The worker gauges Dynamo's Python backends register without auto labels (spec §3.10):
// dynamo_component_total_blocks and dynamo_component_gpu_cache_usage_percent (0.0-1.0 despite
// the name) with labels model, dynamo_component, dp_rank; read from the engine at scrape time.
[[nodiscard]] Status RegisterWorkerGauges(metrics::Registry& registry, const MockEngine& engine,
                                          const std::string& model, const std::string& component,
                                          int dp_rank);

}  // namespace dynobs::llm::mocker
