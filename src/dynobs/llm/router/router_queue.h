#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace dynobs::llm {

// The KV router's admission queue (Dynamo's --router-queue-threshold / DYN_ROUTER_QUEUE_THRESHOLD,
// spec §3.7 c). The router keeps its own count of the prompt tokens each worker still has to
// prefill: added when a request is dispatched to the worker, removed when its first token
// arrives (or it ends first). A worker is busy while that count exceeds
// threshold × its max_num_batched_tokens. A request goes at once when some worker serving its
// model is not busy and no earlier request for that model waits; otherwise it waits, first come
// first served, until prefill completes somewhere or the set of workers changes.
//
// Memory: the caller bounds what may wait (the frontend's in-flight limit counts queued
// requests).
// Thread safety: all methods may be called from any thread; dispatch callbacks run on the thread
// that made room (Submit's, Release's or Pump's caller), never under the queue's lock.
class RouterQueue {
 public:
  struct Worker {
    uint64_t id = 0;
    uint32_t max_batched_tokens = 0;  // 0: unknown, counted as Dynamo's default 8192
  };
  // The workers that serve `model` now.
  using WorkersFn = std::function<std::vector<Worker>(const std::string& model)>;
  // Called with the queue's new size and prompt tokens waiting, after every change.
  using GaugeFn = std::function<void(int64_t pending_requests, int64_t pending_isl_tokens)>;
  // A waiting request: routes and sends it (calling AddPrefill for the worker chosen).
  using Dispatch = std::function<void()>;

  static constexpr uint32_t kDefaultMaxBatchedTokens = 8192;

  RouterQueue(double threshold, WorkersFn workers, GaugeFn gauges);

  // Dispatches now or queues. `isl_tokens` counts in pending_isl_tokens while it waits.
  void Submit(const std::string& model, uint32_t isl_tokens, Dispatch dispatch);
  // Bookkeeping of the request dispatched to `worker` with `tokens` to prefill.
  void AddPrefill(uint64_t worker, uint64_t tokens);
  // Its prefill is done (first token, or the request ended): frees room and dispatches what may
  // go now.
  void Release(uint64_t worker, uint64_t tokens);
  // Dispatches what may go now (call when the workers change).
  void Pump();

  [[nodiscard]] size_t pending() const;
  [[nodiscard]] uint64_t prefill_tokens(uint64_t worker) const;

 private:
  struct Waiting {
    std::string model;
    uint32_t isl_tokens = 0;
    Dispatch dispatch;
  };
  // Under mu_: true when some worker of `model` is not busy, or none serves it (routing then
  // answers the request at once).
  bool MayGo(const std::string& model) const;
  // Under mu_: the first waiting request that may go now, removed from the queue; null if none.
  Dispatch PopReady();
  void PublishLocked();

  const double threshold_;
  const WorkersFn workers_;
  const GaugeFn gauges_;
  mutable std::mutex mu_;
  std::deque<Waiting> waiting_;
  uint64_t waiting_isl_ = 0;
  std::unordered_map<uint64_t, uint64_t> prefill_;  // worker -> prompt tokens not yet prefilled
};

}  // namespace dynobs::llm
