#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dynobs/http/event_loop.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/stream.h"

namespace dynobs::llm {

// The worker's `load_metrics` endpoint: what the router needs to route by load and by KV
// overlap (spec §3.12), as a long-lived stream per subscriber instead of Dynamo's event plane.
// A subscriber gets, as JSON items:
//   {"load":{"worker_id":N,"dp_rank":0,"active_decode_blocks":N,"active_prefill_tokens":N,
//            "kv_used_blocks":N,"kv_total_blocks":N}}            on subscribing and on change
//   {"kv_events":[{"type":"stored","block_hash":H,"parent_hash":P},
//                 {"type":"removed","block_hash":H}],"event_id":N} after engine iterations
// Load is checked every `interval` and sent when it changed. Events a subscriber cannot take
// (its stream refuses them: too slow or gone) are dropped and counted in
// dynamo_component_kv_publisher_engines_dropped_events_total (decided difference: exposed,
// unlike Dynamo); the subscriber is then removed, and sees the gap in event_id.
//
// Thread safety: all members may be called from any thread. The engine and the loop must
// outlive the publisher; Stop() before destroying it.
class LoadPublisher {
 public:
  LoadPublisher(http::EventLoop& loop, mocker::MockEngine& engine, uint64_t worker_id,
                const metrics::MetricsScope& component_scope,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));
  ~LoadPublisher();

  [[nodiscard]] runtime::EndpointHandler Handler();
  void Stop();
  [[nodiscard]] size_t subscribers() const;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace dynobs::llm
