#include "dynobs/llm/router/router_queue.h"

#include <map>
#include <string_view>
#include <utility>

namespace dynobs::llm {

RouterQueue::RouterQueue(double threshold, WorkersFn workers, GaugeFn gauges)
    : threshold_(threshold), workers_(std::move(workers)), gauges_(std::move(gauges)) {
  gauges_(0, 0);
}

bool RouterQueue::MayGo(const std::string& model) const {
  const std::vector<Worker> workers = workers_(model);
  if (workers.empty()) return true;  // routing answers it (no worker) without waiting
  for (const Worker& w : workers) {
    const double capacity =
        w.max_batched_tokens > 0 ? w.max_batched_tokens : kDefaultMaxBatchedTokens;
    auto it = prefill_.find(w.id);
    const uint64_t load = it == prefill_.end() ? 0 : it->second;
    if (static_cast<double>(load) <= threshold_ * capacity) return true;
  }
  return false;
}

void RouterQueue::Submit(const std::string& model, uint32_t isl_tokens, Dispatch dispatch) {
  {
    std::lock_guard lock(mu_);
    bool earlier_waits = false;
    for (const Waiting& w : waiting_) {
      if (w.model == model) {
        earlier_waits = true;
        break;
      }
    }
    if (earlier_waits || !MayGo(model)) {
      waiting_.push_back({model, isl_tokens, std::move(dispatch)});
      waiting_isl_ += isl_tokens;
      PublishLocked();
      return;
    }
  }
  dispatch();
}

void RouterQueue::AddPrefill(uint64_t worker, uint64_t tokens) {
  std::lock_guard lock(mu_);
  prefill_[worker] += tokens;
}

void RouterQueue::Release(uint64_t worker, uint64_t tokens) {
  {
    std::lock_guard lock(mu_);
    auto it = prefill_.find(worker);
    if (it != prefill_.end()) {
      it->second -= std::min(it->second, tokens);
      if (it->second == 0) prefill_.erase(it);
    }
  }
  Pump();
}

void RouterQueue::Pump() {
  // One at a time: each dispatch adds its worker's prefill before the next decision.
  for (;;) {
    Dispatch next;
    {
      std::lock_guard lock(mu_);
      next = PopReady();
    }
    if (!next) return;
    next();
  }
}

RouterQueue::Dispatch RouterQueue::PopReady() {
  // Each model is asked once (a worker list per model, not per waiting request); a model whose
  // first waiting request cannot go holds the ones behind it (first come, first served).
  std::map<std::string_view, bool> may_go;
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    auto [decided, fresh] = may_go.try_emplace(it->model, false);
    if (fresh) decided->second = MayGo(it->model);
    if (!decided->second) continue;
    Dispatch d = std::move(it->dispatch);
    waiting_isl_ -= it->isl_tokens;
    waiting_.erase(it);
    PublishLocked();
    return d;
  }
  return nullptr;
}

void RouterQueue::PublishLocked() {
  gauges_(static_cast<int64_t>(waiting_.size()), static_cast<int64_t>(waiting_isl_));
}

size_t RouterQueue::pending() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

uint64_t RouterQueue::prefill_tokens(uint64_t worker) const {
  std::lock_guard lock(mu_);
  auto it = prefill_.find(worker);
  return it == prefill_.end() ? 0 : it->second;
}

}  // namespace dynobs::llm
