#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/scope.h"

namespace dynobs::llm {

// One KV cache event of a worker, as its `load_metrics` stream carries it (load_publisher.h).
struct KvCacheEvent {
  enum class Type : uint8_t { kStored, kRemoved, kCleared };
  Type type = Type::kStored;
  uint64_t block_hash = 0;   // stored, removed
  uint64_t parent_hash = 0;  // stored: the previous block of the sequence (0: the first)
};

// Parses a `{"kv_events":[...],"event_id":N}` item of a load_metrics stream. Unknown event types
// are InvalidArgument; `event_id` gets N.
[[nodiscard]] StatusOr<std::vector<KvCacheEvent>> ParseKvEvents(std::string_view json,
                                                                uint64_t* event_id);

// Which worker holds which KV blocks, fed by the workers' KV events: the index the KV router
// scores workers with (spec §3.7 e). Block hashes are sequence hashes (each covers its whole
// prefix), so a request's overlap with a worker is the number of its leading blocks the worker
// holds.
//
// Every applied event is counted in dynamo_component_kv_cache_events_applied{event_type,status}
// on the component given at creation (event_type: stored, removed, cleared; status: ok,
// parent_block_not_found, block_not_found, invalid_block; all 12 series exist from the start, as
// in Dynamo). An event that does not apply (its parent or its block unknown, a zero hash) leaves
// the index as it was.
//
// Thread safety: all methods may be called from any thread.
class KvIndexer {
 public:
  static StatusOr<std::unique_ptr<KvIndexer>> Create(const metrics::MetricsScope& component);

  // Applies one worker's events in order.
  void Apply(uint64_t worker_id, std::span<const KvCacheEvent> events);
  // Forgets a worker (it left discovery).
  void RemoveWorker(uint64_t worker_id);
  // For each worker holding the first block: how many leading blocks of `block_hashes` it holds.
  [[nodiscard]] std::unordered_map<uint64_t, uint32_t> Overlaps(
      std::span<const uint64_t> block_hashes) const;
  [[nodiscard]] size_t blocks(uint64_t worker_id) const;

 private:
  enum Outcome : uint8_t { kOk, kParentNotFound, kBlockNotFound, kInvalidBlock, kOutcomes };
  KvIndexer() = default;
  Outcome ApplyOne(uint64_t worker_id, const KvCacheEvent& e);  // mu_ held
  void Forget(uint64_t worker_id);                              // mu_ held

  // applied_[event type][status]
  metrics::IntCounter applied_[3][kOutcomes];
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> workers_by_block_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> blocks_by_worker_;
};

}  // namespace dynobs::llm
