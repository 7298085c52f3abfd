#include "dynobs/llm/router/kv_selector.h"

#include <vector>

namespace dynobs::llm {

std::optional<KvChoice> ChooseKvWorker(std::span<const uint64_t> candidates,
                                       const std::unordered_map<uint64_t, uint32_t>& overlaps,
                                       const std::map<uint64_t, WorkerLoad>& loads,
                                       uint32_t request_blocks, uint32_t block_size,
                                       double overlap_weight, std::mt19937_64& rng) {
  std::vector<KvChoice> best;
  for (uint64_t worker : candidates) {
    KvChoice c{.worker_id = worker};
    if (auto o = overlaps.find(worker); o != overlaps.end()) {
      c.overlap_blocks = std::min(o->second, request_blocks);
    }
    double load = 0;
    if (auto l = loads.find(worker); l != loads.end()) {
      const uint64_t bs = block_size == 0 ? 1 : block_size;
      load = static_cast<double>(l->second.active_decode_blocks) +
             static_cast<double>((l->second.active_prefill_tokens + bs - 1) / bs);
    }
    c.cost = overlap_weight * static_cast<double>(request_blocks - c.overlap_blocks) + load;
    if (best.empty() || c.cost < best.front().cost) {
      best.assign(1, c);
    } else if (c.cost == best.front().cost) {
      best.push_back(c);
    }
  }
  if (best.empty()) return std::nullopt;
  if (best.size() == 1) return best.front();
  return best[std::uniform_int_distribution<size_t>(0, best.size() - 1)(rng)];
}

}  // namespace dynobs::llm
