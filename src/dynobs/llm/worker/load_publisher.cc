#include "dynobs/llm/worker/load_publisher.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "dynobs/http/internal/io_context.h"

namespace dynobs::llm {

namespace asio = boost::asio;

class LoadPublisher::Core : public std::enable_shared_from_this<LoadPublisher::Core> {
 public:
  Core(asio::io_context& io, mocker::MockEngine& engine, uint64_t worker_id,
       metrics::IntCounter dropped, std::chrono::milliseconds interval)
      : engine_(engine),
        worker_id_(worker_id),
        dropped_(dropped),
        interval_(interval),
        timer_(asio::make_strand(io)) {}

  void Start() {
    std::weak_ptr<Core> weak = shared_from_this();
    engine_.SetKvEventListener([weak](const std::vector<mocker::KvEvent>& events) {
      if (auto self = weak.lock()) self->PublishEvents(events);
    });
    Tick();
  }

  void Subscribe(const std::shared_ptr<runtime::ResponseStream>& stream) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) {
        stream->Fail(UnavailableError("the worker is shutting down"));
        return;
      }
      if (!stream->Send(LoadJson(engine_.load()))) return;
      subscribers_.push_back(stream);
    }
    // Outside the lock: it runs at once if the subscriber is already gone. A subscriber that
    // leaves is removed now (no event is lost for it, none is counted as dropped).
    std::weak_ptr<Core> weak = shared_from_this();
    runtime::ResponseStream* raw = stream.get();
    stream->OnCancel([weak, raw] {
      if (auto self = weak.lock()) self->Unsubscribe(raw);
    });
  }

  void Stop() {
    std::vector<std::shared_ptr<runtime::ResponseStream>> subs;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      subs.swap(subscribers_);
    }
    engine_.SetKvEventListener(nullptr);
    for (auto& s : subs) s->Finish();
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

  void Unsubscribe(runtime::ResponseStream* stream) {
    if (in_broadcast_) return;  // refused by Broadcast on this thread: it drops and counts it
    std::shared_ptr<runtime::ResponseStream> gone;
    {
      std::lock_guard lock(mu_);
      auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                             [&](const auto& s) { return s.get() == stream; });
      if (it == subscribers_.end()) return;
      gone = std::move(*it);
      subscribers_.erase(it);
    }
    gone->Fail(CancelledError("the subscriber left"));
  }

  size_t subscribers() const {
    std::lock_guard lock(mu_);
    return subscribers_.size();
  }

 private:
  std::string LoadJson(const mocker::MockEngine::Load& l) const {
    return fmt::format(R"({{"load":{{"worker_id":{},"dp_rank":0,"active_decode_blocks":{},)"
                       R"("active_prefill_tokens":{},"kv_used_blocks":{},"kv_total_blocks":{}}}}})",
                       worker_id_, l.active_decode_blocks, l.active_prefill_tokens, l.used_blocks,
                       l.total_blocks);
  }

  static std::string EventsJson(const std::vector<mocker::KvEvent>& events, uint64_t event_id) {
    std::string out = R"({"kv_events":[)";
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (i > 0) out += ',';
      if (e.kind == mocker::KvEvent::Kind::kStored) {
        out += fmt::format(R"({{"type":"stored","block_hash":{},"parent_hash":{}}})", e.block_hash,
                           e.parent_hash);
      } else {
        out += fmt::format(R"({{"type":"removed","block_hash":{}}})", e.block_hash);
      }
    }
    out += fmt::format(R"(],"event_id":{}}})", event_id);
    return out;
  }

  // Sends `item` to every subscriber; those that refuse it are dropped (their loss counted).
  // Sends happen outside the lock: a refused Send runs the stream's OnCancel callbacks, which
  // take it (Unsubscribe).
  void Broadcast(const std::string& item, size_t events) {
    std::vector<std::shared_ptr<runtime::ResponseStream>> targets;
    {
      std::lock_guard lock(mu_);
      targets = subscribers_;
    }
    std::vector<runtime::ResponseStream*> refused;
    in_broadcast_ = true;  // a Send refused as too slow runs OnCancel here: this loop handles it
    for (const auto& s : targets) {
      if (s->cancelled()) continue;  // it left; its OnCancel removes it
      if (!s->Send(item)) refused.push_back(s.get());
    }
    in_broadcast_ = false;
    if (refused.empty()) return;
    std::vector<std::shared_ptr<runtime::ResponseStream>> dropped;
    {
      std::lock_guard lock(mu_);
      std::erase_if(subscribers_, [&](std::shared_ptr<runtime::ResponseStream>& s) {
        if (std::find(refused.begin(), refused.end(), s.get()) == refused.end()) return false;
        dropped.push_back(std::move(s));
        return true;
      });
    }
    for (const auto& s : dropped) {
      dropped_.Inc(events);
      s->Fail(ResourceExhaustedError("the subscriber could not take the worker's events"));
    }
  }

  void PublishEvents(const std::vector<mocker::KvEvent>& events) {
    uint64_t id = next_event_id_.fetch_add(1, std::memory_order_relaxed);
    Broadcast(EventsJson(events, id), events.size());
  }

  void Tick() {
    auto l = engine_.load();
    std::string json = LoadJson(l);
    if (json != last_load_) {
      last_load_ = json;
      Broadcast(json, 0);
    }
    timer_.expires_after(interval_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Tick();
    });
  }

  mocker::MockEngine& engine_;
  const uint64_t worker_id_;
  metrics::IntCounter dropped_;
  const std::chrono::milliseconds interval_;
  asio::steady_timer timer_;  // on its own strand
  std::string last_load_;     // timer strand only
  std::atomic<uint64_t> next_event_id_{1};
  static thread_local bool in_broadcast_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<runtime::ResponseStream>> subscribers_;
  bool stopped_ = false;
};

thread_local bool LoadPublisher::Core::in_broadcast_ = false;

LoadPublisher::LoadPublisher(http::EventLoop& loop, mocker::MockEngine& engine, uint64_t worker_id,
                             const metrics::MetricsScope& component_scope,
                             std::chrono::milliseconds interval) {
  auto dropped = component_scope.CreateIntCounter(
      {.name = "kv_publisher_engines_dropped_events_total",
       .help = "KV cache events the worker could not deliver to a subscriber"});
  core_ = std::make_shared<Core>(http::internal::IoContext(loop), engine, worker_id,
                                 dropped.ok() ? *dropped : metrics::IntCounter(), interval);
  core_->Start();
}

LoadPublisher::~LoadPublisher() { Stop(); }

runtime::EndpointHandler LoadPublisher::Handler() {
  std::weak_ptr<Core> weak = core_;
  return [weak](runtime::IncomingRequest, std::shared_ptr<runtime::ResponseStream> stream) {
    if (auto core = weak.lock()) {
      core->Subscribe(std::move(stream));
    } else {
      stream->Fail(UnavailableError("the worker is shutting down"));
    }
  };
}

void LoadPublisher::Stop() { core_->Stop(); }

size_t LoadPublisher::subscribers() const { return core_->subscribers(); }

}  // namespace dynobs::llm
