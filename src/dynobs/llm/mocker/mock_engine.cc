#include "dynobs/llm/mocker/mock_engine.h"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "dynobs/http/internal/io_context.h"

namespace dynobs::llm::mocker {

namespace asio = boost::asio;

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kNone:
      return "";
  }
  return "";
}

// Everything the engine is, shared with the work it has posted on the loop.
class MockEngine::Core : public std::enable_shared_from_this<MockEngine::Core> {
 public:
  Core(Config config, std::unique_ptr<KvBlockManager> kv, asio::io_context& io)
      : config_(std::move(config)),
        kv_(std::move(kv)),
        strand_(asio::make_strand(io)),
        timer_(strand_),
        scheduler_(config_.scheduler, kv_.get(), config_.timing) {}

  Status Submit(GenerationRequest request, OutputCallback on_output);
  void Cancel(uint64_t id);
  void SetKvEventListener(KvEventListener listener);
  void Stop();
  [[nodiscard]] Load load() const;
  [[nodiscard]] const KvbmStats& kvbm() const { return kv_->stats(); }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  // Shared, so that an output's delivery copies a pointer, not the callback.
  using SharedCallback = std::shared_ptr<const OutputCallback>;
  using Delivery = std::pair<SharedCallback, TokenOutput>;
  void StartIterating();  // caller holds mu_
  void Iterate();
  // Delivers the previous iteration's outputs and runs the next; false when there is nothing
  // left to run. `duration_ms` gets how long the iteration takes.
  bool IterateOnce(double* duration_ms);
  void DeliverPending();
  void PublishLoad();  // caller holds mu_

  const Config config_;
  std::unique_ptr<KvBlockManager> kv_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;  // used on the strand only
  mutable std::mutex mu_;
  Scheduler scheduler_;
  std::unordered_map<uint64_t, SharedCallback> callbacks_;
  std::vector<Delivery> pending_;  // strand only: outputs delivered after the iteration's wait
  KvEventListener kv_listener_;
  bool iterating_ = false;
  bool stopped_ = false;
  std::atomic<uint32_t> running_{0}, waiting_{0}, used_blocks_{0};
  std::atomic<uint64_t> decode_blocks_{0}, prefill_tokens_{0}, iterations_{0}, preemptions_{0};
};

StatusOr<std::unique_ptr<MockEngine>> MockEngine::Create(http::EventLoop& loop, Config config) {
  if (config.timing.speedup < 0.01) {
    return InvalidArgumentError("the engine speedup must be at least 0.01");
  }
  auto kv = KvBlockManager::Create(config.kv);
  if (!kv.ok()) return kv.status();
  auto core =
      std::make_shared<Core>(std::move(config), std::move(*kv), http::internal::IoContext(loop));
  return std::unique_ptr<MockEngine>(new MockEngine(std::move(core)));
}

MockEngine::~MockEngine() { core_->Stop(); }
Status MockEngine::Submit(GenerationRequest request, OutputCallback on_output) {
  return core_->Submit(std::move(request), std::move(on_output));
}
void MockEngine::Cancel(uint64_t id) { core_->Cancel(id); }
void MockEngine::SetKvEventListener(KvEventListener listener) {
  core_->SetKvEventListener(std::move(listener));
}
void MockEngine::Stop() { core_->Stop(); }
MockEngine::Load MockEngine::load() const { return core_->load(); }
const KvbmStats& MockEngine::kvbm() const { return core_->kvbm(); }
const MockEngine::Config& MockEngine::config() const { return core_->config(); }

Status MockEngine::Core::Submit(GenerationRequest request, OutputCallback on_output) {
  std::lock_guard lock(mu_);
  if (stopped_) return UnavailableError("the engine is stopped");
  uint64_t id = request.id;
  if (Status s = scheduler_.Add(std::move(request)); !s.ok()) return s;
  callbacks_[id] = std::make_shared<const OutputCallback>(std::move(on_output));
  PublishLoad();
  StartIterating();
  return Status::Ok();
}

void MockEngine::Core::Cancel(uint64_t id) {
  SharedCallback callback;
  {
    std::lock_guard lock(mu_);
    if (!scheduler_.Cancel(id)) return;
    PublishLoad();
    auto it = callbacks_.find(id);
    if (it == callbacks_.end()) return;
    callback = std::move(it->second);
    callbacks_.erase(it);
  }
  TokenOutput out;
  out.id = id;
  out.finish = FinishReason::kCancelled;
  asio::post(strand_, [callback = std::move(callback), out] { (*callback)(out); });
}

void MockEngine::Core::SetKvEventListener(KvEventListener listener) {
  std::lock_guard lock(mu_);
  kv_listener_ = std::move(listener);
}

void MockEngine::Core::Stop() {
  std::vector<uint64_t> ids;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (const auto& [id, cb] : callbacks_) ids.push_back(id);
  }
  for (uint64_t id : ids) Cancel(id);
  asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
}

void MockEngine::Core::StartIterating() {
  if (iterating_ || stopped_) return;
  iterating_ = true;
  asio::post(strand_, [self = shared_from_this()] { self->Iterate(); });
}

void MockEngine::Core::PublishLoad() {
  running_.store(static_cast<uint32_t>(scheduler_.running()), std::memory_order_relaxed);
  waiting_.store(static_cast<uint32_t>(scheduler_.waiting()), std::memory_order_relaxed);
  used_blocks_.store(kv_->used_blocks(), std::memory_order_relaxed);
  decode_blocks_.store(scheduler_.active_decode_blocks(), std::memory_order_relaxed);
  prefill_tokens_.store(scheduler_.active_prefill_tokens(), std::memory_order_relaxed);
}

// Outputs of requests cancelled meanwhile are dropped: their kCancelled is already on its way.
void MockEngine::Core::DeliverPending() {
  std::vector<Delivery> deliveries;
  deliveries.swap(pending_);
  for (auto& [callback, output] : deliveries) {
    if (output.finish == FinishReason::kNone) {
      std::lock_guard lock(mu_);
      if (!callbacks_.contains(output.id)) continue;
    }
    (*callback)(output);
  }
}

// Iterations run one per event-loop turn, after their duration. Zero-delay iterations (no
// duration) run in bursts of kZeroDelayBurst per turn: their outputs then leave together, in
// one write per stream, as they would when a real engine outpaces the socket.
constexpr int kZeroDelayBurst = 16;

void MockEngine::Core::Iterate() {
  for (int burst = 1;; ++burst) {
    double duration_ms = 0;
    if (!IterateOnce(&duration_ms)) return;
    if (duration_ms > 0) {
      auto delay = std::chrono::duration<double, std::milli>(duration_ms);
      timer_.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(delay));
      timer_.async_wait(
          [self = shared_from_this()](boost::system::error_code) { self->Iterate(); });
      return;
    }
    if (burst == kZeroDelayBurst) {
      asio::post(strand_, [self = shared_from_this()] { self->Iterate(); });
      return;
    }
  }
}

bool MockEngine::Core::IterateOnce(double* duration_ms) {
  DeliverPending();
  StepResult step;
  std::vector<KvEvent> events;
  KvEventListener listener;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || (scheduler_.running() == 0 && scheduler_.waiting() == 0)) {
      iterating_ = false;
      return false;
    }
    step = scheduler_.Step();
    for (TokenOutput& out : step.outputs) {
      auto it = callbacks_.find(out.id);
      if (it == callbacks_.end()) continue;
      bool finished = out.finish != FinishReason::kNone;
      pending_.emplace_back(finished ? std::move(it->second) : it->second, std::move(out));
      if (finished) callbacks_.erase(it);
    }
    events = kv_->TakeEvents();
    listener = kv_listener_;
    PublishLoad();
    iterations_.fetch_add(step.idle() ? 0 : 1, std::memory_order_relaxed);
    preemptions_.fetch_add(step.preempted, std::memory_order_relaxed);
  }
  if (listener && !events.empty()) listener(events);
  *duration_ms = step.duration_ms;
  return true;
}

MockEngine::Load MockEngine::Core::load() const {
  Load l;
  l.running = running_.load(std::memory_order_relaxed);
  l.waiting = waiting_.load(std::memory_order_relaxed);
  l.active_decode_blocks = decode_blocks_.load(std::memory_order_relaxed);
  l.active_prefill_tokens = prefill_tokens_.load(std::memory_order_relaxed);
  l.used_blocks = used_blocks_.load(std::memory_order_relaxed);
  l.total_blocks = kv_->total_blocks();
  l.iterations = iterations_.load(std::memory_order_relaxed);
  l.preemptions = preemptions_.load(std::memory_order_relaxed);
  return l;
}

}  // namespace dynobs::llm::mocker
