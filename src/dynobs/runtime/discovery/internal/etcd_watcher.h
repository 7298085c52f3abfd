#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/discovery/internal/etcd_client.h"
#include "dynobs/runtime/discovery/internal/etcd_options.h"
#include "dynobs/runtime/discovery/internal/etcd_protocol.h"
#include "dynobs/runtime/discovery/internal/etcd_reachability.h"
#include "dynobs/runtime/discovery/internal/watchers.h"

namespace dynobs::runtime::discovery_internal {

// The watches of one etcd Discovery, served by one thread that keeps every instance under the
// prefix in a cache: a range (the initial set, and a resync after each break) then a /v3/watch
// stream from the next revision, whose events update the cache and the watches. While etcd is
// unreachable the cache stays as it was and the thread retries with backoff (100 ms to 5 s).
// Records that do not decode are left out and logged once per revision (WARN).
//
// The thread idles while there is no watch. `on_lost` runs when a resync fails, `on_answered`
// when one succeeds while etcd was unreachable (the registrar's Suspect and Probe).
// Thread safety: Add may be called from any thread; callbacks run on the thread.
class EtcdWatcher {
 public:
  EtcdWatcher(const EtcdOptions& options, EtcdReachability& reachability,
              std::function<void()> on_lost, std::function<void()> on_answered);
  ~EtcdWatcher();
  EtcdWatcher(const EtcdWatcher&) = delete;
  EtcdWatcher& operator=(const EtcdWatcher&) = delete;

  [[nodiscard]] std::unique_ptr<WatchHandle> Add(const EndpointPath& path, OnChange on_change);

 private:
  void Run();
  [[nodiscard]] StatusOr<int64_t> Resync();
  [[nodiscard]] bool OnMessage(const boost::json::object& message);
  void Apply(const KeyValue& kv, bool is_delete);
  [[nodiscard]] std::vector<Instance> Current(const EndpointPath& path) const;
  [[nodiscard]] bool KeepGoing();
  void WaitFor(std::chrono::milliseconds delay);

  const EtcdOptions options_;
  EtcdReachability& reachability_;
  const std::function<void()> on_lost_;
  const std::function<void()> on_answered_;
  EtcdClient client_;
  Watchers watchers_;

  // Owned by the thread.
  std::map<std::string, Instance> cache_;  // by etcd key
  std::map<std::string, int64_t> warned_;  // malformed keys logged about, at this mod_revision
  bool synced_ = false;
  Backoff backoff_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool added_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last
};

}  // namespace dynobs::runtime::discovery_internal
