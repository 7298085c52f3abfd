#include "dynobs/llm/router/worker_feed.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "dynobs/http/internal/io_context.h"
#include "dynobs/logging/log.h"

namespace dynobs::llm {
namespace {

constexpr const char* kTarget = "dynobs::router";
namespace json = boost::json;

uint64_t Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return 0;
}

}  // namespace

class WorkerFeed::Core : public std::enable_shared_from_this<WorkerFeed::Core> {
 public:
  Core(runtime::RequestPlaneClient& client, http::EventLoop& loop, KvIndexer* indexer,
       Options options)
      : client_(client),
        io_(http::internal::IoContext(loop)),
        indexer_(indexer),
        options_(std::move(options)) {}

  // Discovery's view changed: subscribe to newcomers, forget leavers.
  void OnInstances(const std::vector<runtime::Instance>& instances) {
    std::vector<runtime::Instance> added;
    std::vector<uint64_t> removed;
    std::vector<std::unique_ptr<runtime::StreamHandle>> cancelled;  // cancelled outside the lock
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      std::set<uint64_t> now;
      for (const auto& i : instances) {
        now.insert(i.instance_id);
        if (!workers_.contains(i.instance_id)) {
          workers_[i.instance_id].address = i.address;
          added.push_back(i);
        }
      }
      for (auto it = workers_.begin(); it != workers_.end();) {
        if (now.contains(it->first)) {
          ++it;
          continue;
        }
        removed.push_back(it->first);
        if (it->second.stream) cancelled.push_back(std::move(it->second.stream));
        it = workers_.erase(it);
      }
    }
    // Cancel() runs the stream's on_end on this thread; OnEnd takes the lock.
    for (auto& stream : cancelled) stream->Cancel();
    for (uint64_t id : removed) {
      if (indexer_ != nullptr) indexer_->RemoveWorker(id);
    }
    for (const auto& i : added) Subscribe(i.instance_id);
    changed_.notify_all();
  }

  void Subscribe(uint64_t worker_id) {
    std::string address;
    uint64_t generation = 0;
    {
      std::lock_guard lock(mu_);
      auto it = workers_.find(worker_id);
      if (stopped_ || it == workers_.end()) return;
      address = it->second.address;
      generation = ++it->second.generation;
      it->second.last_event_id = 0;
    }
    std::weak_ptr<Core> weak = shared_from_this();
    runtime::StreamCallbacks callbacks{.on_item =
                                           [weak, worker_id](std::string item) {
                                             if (auto self = weak.lock())
                                               self->OnItem(worker_id, item);
                                           },
                                       .on_end =
                                           [weak, worker_id, generation](const Status& end) {
                                             if (auto self = weak.lock())
                                               self->OnEnd(worker_id, generation, end);
                                           }};
    auto stream = client_.Generate(address, "load_metrics", {}, "{}", std::move(callbacks));
    {
      std::lock_guard lock(mu_);
      auto it = workers_.find(worker_id);
      if (!stopped_ && it != workers_.end() && it->second.generation == generation) {
        it->second.stream = std::move(stream);
        return;
      }
    }
    stream->Cancel();  // the worker left meanwhile
  }

  void OnItem(uint64_t worker_id, const std::string& item) {
    json::error_code ec;
    json::value v = json::parse(item, ec);
    if (ec || !v.is_object()) return;
    const json::object& o = v.as_object();
    if (const json::value* load = o.if_contains("load"); load != nullptr && load->is_object()) {
      const json::object& l = load->as_object();
      WorkerLoad w{.active_decode_blocks = Field(l, "active_decode_blocks"),
                   .active_prefill_tokens = Field(l, "active_prefill_tokens"),
                   .kv_used_blocks = Field(l, "kv_used_blocks"),
                   .kv_total_blocks = Field(l, "kv_total_blocks")};
      {
        std::lock_guard lock(mu_);
        auto it = workers_.find(worker_id);
        if (it == workers_.end()) return;
        it->second.load = w;
        it->second.reported = true;
      }
      changed_.notify_all();
      return;
    }
    if (!o.contains("kv_events") || indexer_ == nullptr) return;
    uint64_t event_id = 0;
    auto events = ParseKvEvents(item, &event_id);
    if (!events.ok()) {
      DYNOBS_LOG(kWarn, kTarget, "skipping malformed KV events",
                 {"worker_id", fmt::format("{:x}", worker_id)},
                 {"error", events.status().message()});
      return;
    }
    bool gap = false;
    {
      std::lock_guard lock(mu_);
      auto it = workers_.find(worker_id);
      if (it == workers_.end()) return;
      gap = it->second.last_event_id != 0 && event_id != it->second.last_event_id + 1;
      it->second.last_event_id = event_id;
      if (gap) ++event_gaps_;
    }
    if (gap) indexer_->RemoveWorker(worker_id);  // incomplete now: start over from new events
    indexer_->Apply(worker_id, *events);
  }

  void OnEnd(uint64_t worker_id, uint64_t generation, const Status& end) {
    std::unique_ptr<runtime::StreamHandle> ended;
    {
      std::lock_guard lock(mu_);
      auto it = workers_.find(worker_id);
      if (stopped_ || it == workers_.end() || it->second.generation != generation) return;
      ended = std::move(it->second.stream);
    }
    // A handle may not be destroyed inside its own callback: later, on the loop.
    if (ended)
      boost::asio::post(io_, [h = std::shared_ptr<runtime::StreamHandle>(std::move(ended))] {});
    if (indexer_ != nullptr) indexer_->RemoveWorker(worker_id);  // its events stop here
    DYNOBS_LOG(kInfo, kTarget, "load_metrics stream ended; subscribing again",
               {"worker_id", fmt::format("{:x}", worker_id)}, {"status", end.ToString()});
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, options_.resubscribe_delay);
    std::weak_ptr<Core> weak = shared_from_this();
    timer->async_wait([timer, weak, worker_id](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->Subscribe(worker_id);
    });
  }

  void Stop() {
    std::map<uint64_t, Worker> workers;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      workers.swap(workers_);
    }
    for (auto& [id, w] : workers) {
      if (w.stream) w.stream->Cancel();
    }
    changed_.notify_all();
  }

  std::map<uint64_t, WorkerLoad> loads() const {
    std::lock_guard lock(mu_);
    std::map<uint64_t, WorkerLoad> out;
    for (const auto& [id, w] : workers_) out[id] = w.load;
    return out;
  }

  bool WaitForLoads(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
      size_t reported = 0;
      for (const auto& [id, w] : workers_) reported += w.reported ? 1 : 0;
      return reported >= n;
    });
  }

  uint64_t event_gaps() const {
    std::lock_guard lock(mu_);
    return event_gaps_;
  }

 private:
  struct Worker {
    std::string address;
    std::unique_ptr<runtime::StreamHandle> stream;
    uint64_t generation = 0;  // which subscription is current
    uint64_t last_event_id = 0;
    WorkerLoad load;
    bool reported = false;
  };

  runtime::RequestPlaneClient& client_;
  boost::asio::io_context& io_;
  KvIndexer* const indexer_;
  const Options options_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<uint64_t, Worker> workers_;
  uint64_t event_gaps_ = 0;
  bool stopped_ = false;
};

StatusOr<std::unique_ptr<WorkerFeed>> WorkerFeed::Create(runtime::Discovery& discovery,
                                                         runtime::RequestPlaneClient& client,
                                                         http::EventLoop& loop, KvIndexer* indexer,
                                                         Options options) {
  auto core = std::make_shared<Core>(client, loop, indexer, options);
  std::unique_ptr<WorkerFeed> feed(new WorkerFeed(core));
  std::weak_ptr<Core> weak = core;
  auto watch = discovery.Watch(options.generate, [weak](const std::vector<runtime::Instance>& i) {
    if (auto self = weak.lock()) self->OnInstances(i);
  });
  if (!watch.ok()) return watch.status();
  feed->watch_ = std::move(*watch);
  return feed;
}

WorkerFeed::WorkerFeed(std::shared_ptr<Core> core) : core_(std::move(core)) {}

WorkerFeed::~WorkerFeed() {
  watch_.reset();  // no more discovery callbacks
  core_->Stop();
}

std::map<uint64_t, WorkerLoad> WorkerFeed::loads() const { return core_->loads(); }
bool WorkerFeed::WaitForLoads(size_t n, std::chrono::milliseconds timeout) const {
  return core_->WaitForLoads(n, timeout);
}
uint64_t WorkerFeed::event_gaps() const { return core_->event_gaps(); }

}  // namespace dynobs::llm
