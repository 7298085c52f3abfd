#include "dynobs/runtime/discovery/internal/etcd_watcher.h"

#include <set>
#include <utility>

#include <boost/json/value.hpp>

#include "dynobs/logging/log.h"

namespace dynobs::runtime::discovery_internal {
namespace {

namespace json = boost::json;

constexpr const char* kTarget = "dynobs::discovery";

}  // namespace

EtcdWatcher::EtcdWatcher(const EtcdOptions& options, EtcdReachability& reachability,
                         std::function<void()> on_lost, std::function<void()> on_answered)
    : options_(options),
      reachability_(reachability),
      on_lost_(std::move(on_lost)),
      on_answered_(std::move(on_answered)),
      client_(options.endpoints, options.request_timeout),
      thread_([this] { Run(); }) {}

EtcdWatcher::~EtcdWatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);
  }
  cv_.notify_all();
  client_.Interrupt();
  thread_.join();
}

std::unique_ptr<WatchHandle> EtcdWatcher::Add(const EndpointPath& path, OnChange on_change) {
  auto handle = watchers_.Add(path, std::move(on_change));
  {
    std::lock_guard lock(mu_);
    added_ = true;
  }
  cv_.notify_all();
  client_.Wake();
  return handle;
}

void EtcdWatcher::Run() {
  auto on_message = [this](const json::object& m) { return OnMessage(m); };
  auto keep_going = [this] { return KeepGoing(); };
  while (!stopping_.load()) {
    if (watchers_.empty()) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return added_ || stopping_.load(); });
      added_ = false;
      continue;
    }
    StatusOr<int64_t> revision = Resync();
    if (!revision.ok()) {
      if (revision.status().code() == StatusCode::kCancelled) break;
      reachability_.Lost(revision.status().message());
      on_lost_();
      (void)KeepGoing();  // a new watch gets the kept view
      WaitFor(std::chrono::milliseconds(backoff_.NextMillis()));
      continue;
    }
    if (!reachability_.reachable()) on_answered_();
    (void)client_.Stream("/v3/watch", WatchRequest(options_.prefix, *revision + 1), on_message,
                         keep_going);
    // Ended: etcd went away or restarted, compacted past us, or cancelled the watch.
    WaitFor(std::chrono::milliseconds(backoff_.NextMillis()));
  }
}

StatusOr<int64_t> EtcdWatcher::Resync() {
  auto response = client_.Call("/v3/kv/range", RangeRequest(options_.prefix));
  if (!response.ok()) return response.status();
  auto range = ParseRange(*response);
  if (!range.ok()) return UnavailableError(range.status().message());
  cache_.clear();
  std::set<std::string> keys;
  for (const KeyValue& kv : range->kvs) {
    Apply(kv, false);
    keys.insert(kv.key);
  }
  std::erase_if(warned_, [&](const auto& entry) { return !keys.contains(entry.first); });
  synced_ = true;
  watchers_.Deliver([this](const EndpointPath& path) { return Current(path); });
  return range->revision;
}

bool EtcdWatcher::OnMessage(const json::object& message) {
  const json::object* result = ObjectField(message, "result");
  if (result == nullptr) return false;  // {"error": ...}: resync
  const json::value* created = result->if_contains("created");
  if (created != nullptr && created->is_bool() && created->as_bool()) backoff_.Reset();
  const json::value* canceled = result->if_contains("canceled");
  auto compact = Int64Field(*result, "compact_revision");
  if ((canceled != nullptr && canceled->is_bool() && canceled->as_bool()) || !compact.ok() ||
      *compact != 0) {
    return false;
  }
  auto events = ParseWatchEvents(*result);
  if (!events.ok()) return false;
  for (const WatchEvent& e : *events) Apply(e.kv, e.is_delete);
  if (!events->empty()) {
    watchers_.Deliver([this](const EndpointPath& path) { return Current(path); });
  }
  return !stopping_.load();
}

void EtcdWatcher::Apply(const KeyValue& kv, bool is_delete) {
  if (is_delete) {
    cache_.erase(kv.key);
    warned_.erase(kv.key);
    return;
  }
  auto instance = DecodeInstance(options_.prefix, kv);
  if (instance.ok()) {
    cache_.insert_or_assign(kv.key, std::move(*instance));
    warned_.erase(kv.key);
    return;
  }
  cache_.erase(kv.key);
  auto [it, inserted] = warned_.try_emplace(kv.key, kv.mod_revision);
  if (!inserted && it->second == kv.mod_revision) return;
  it->second = kv.mod_revision;
  DYNOBS_LOG(kWarn, kTarget, "skipping malformed instance record", {"key", kv.key},
             {"error", instance.status().message()});
}

std::vector<Instance> EtcdWatcher::Current(const EndpointPath& path) const {
  std::vector<Instance> out;
  std::string prefix = EndpointPrefix(options_.prefix, path);
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

bool EtcdWatcher::KeepGoing() {
  if (synced_) {
    watchers_.DeliverInitial([this](const EndpointPath& path) { return Current(path); });
  }
  return !stopping_.load() && !watchers_.empty();
}

void EtcdWatcher::WaitFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [this] { return added_ || stopping_.load(); });
  added_ = false;
}

}  // namespace dynobs::runtime::discovery_internal
