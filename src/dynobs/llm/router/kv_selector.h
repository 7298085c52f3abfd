#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>

#include "dynobs/llm/router/worker_feed.h"

namespace dynobs::llm {

// The KV router's choice for one request.
struct KvChoice {
  uint64_t worker_id = 0;
  uint32_t overlap_blocks = 0;  // leading blocks of the request the worker holds
  double cost = 0;
};

// Scores each candidate worker by the work the request would add to it and the work it has:
//   cost = overlap_weight * (request_blocks - overlap_blocks)        blocks it must prefill
//        + active_decode_blocks + ceil(active_prefill_tokens / block_size)
// (Dynamo's KV router cost with its default overlap weight 1.0) and returns the cheapest; equal
// costs are broken at random with `rng`. Workers with no load report count as idle. Nullopt
// when there is no candidate.
[[nodiscard]] std::optional<KvChoice> ChooseKvWorker(
    std::span<const uint64_t> candidates, const std::unordered_map<uint64_t, uint32_t>& overlaps,
    const std::map<uint64_t, WorkerLoad>& loads, uint32_t request_blocks, uint32_t block_size,
    double overlap_weight, std::mt19937_64& rng);

}  // namespace dynobs::llm
