#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/llm/mocker/kv_block_manager.h"
#include "dynobs/llm/mocker/scheduler.h"

namespace dynobs::llm::mocker {

// The mock engine: the scheduler and KV cache driven in real time on the event loop. Each
// iteration is planned, then the engine waits for the iteration's duration (the timing model;
// nothing with zero_delay) before its outputs are delivered and the next iteration starts, so
// tokens arrive at the pace a GPU would give them. Idle, it does nothing until a request comes.
//
// Thread safety: Submit, Cancel, load() and Stop() may be called from any thread. Output
// callbacks run on the loop, one at a time, and must not block.
class MockEngine {
 public:
  struct Config {
    KvBlockManager::Config kv;
    Scheduler::Config scheduler;
    TimingModel timing;
  };
  // Called for every output of a request; the last one carries a finish reason (kCancelled
  // after Cancel or Stop).
  using OutputCallback = std::function<void(const TokenOutput&)>;
  using KvEventListener = std::function<void(const std::vector<KvEvent>&)>;

  struct Load {
    uint32_t running = 0;
    uint32_t waiting = 0;
    uint64_t active_decode_blocks = 0;
    uint64_t active_prefill_tokens = 0;
    uint32_t used_blocks = 0;
    uint32_t total_blocks = 0;
    uint64_t iterations = 0;
    uint64_t preemptions = 0;
  };

  static StatusOr<std::unique_ptr<MockEngine>> Create(http::EventLoop& loop, Config config);
  ~MockEngine();  // Stop()
  MockEngine(const MockEngine&) = delete;
  MockEngine& operator=(const MockEngine&) = delete;

  // Queues a request. An invalid one (see Scheduler::Add) fails here and gets no callback.
  [[nodiscard]] Status Submit(GenerationRequest request, OutputCallback on_output);
  // Stops a request; its callback gets a final kCancelled output. No-op if already finished.
  void Cancel(uint64_t id);
  // Gets KV stored/removed events after each iteration (on the loop).
  void SetKvEventListener(KvEventListener listener);
  // Cancels everything and stops iterating. Idempotent.
  void Stop();

  [[nodiscard]] Load load() const;
  [[nodiscard]] const KvbmStats& kvbm() const;
  [[nodiscard]] const Config& config() const;

 private:
  class Core;
  explicit MockEngine(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  // Shared with the callbacks in flight on the loop, so that it outlives the last of them.
  std::shared_ptr<Core> core_;
};

// The text a finish reason reads as in OpenAI responses: "length", "stop", "cancelled" ("" when
// not finished).
[[nodiscard]] std::string_view FinishReasonName(FinishReason reason);

}  // namespace dynobs::llm::mocker
