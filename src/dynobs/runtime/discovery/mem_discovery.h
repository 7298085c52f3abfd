#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/discovery/internal/watchers.h"

namespace dynobs::runtime {

// The instances of one process, shared by the MemDiscovery objects that hold it, with one thread
// that runs watch callbacks (changes that come faster than callbacks run are coalesced: a watch
// sees the latest set, never a queue of old ones).
//
// Thread safety: all methods may be called from any thread. The destructor joins the callback
// thread; watch handles may outlive the store.
class MemStore {
 public:
  MemStore();
  ~MemStore();
  MemStore(const MemStore&) = delete;
  MemStore& operator=(const MemStore&) = delete;

  // The store that CreateDiscovery's `mem` backend uses: one per process while any MemDiscovery
  // holds it (a new one after the last is gone).
  [[nodiscard]] static std::shared_ptr<MemStore> ProcessWide();

  // AlreadyExists when the id is already registered.
  [[nodiscard]] Status Add(const Instance& instance);
  void Remove(uint64_t instance_id);
  [[nodiscard]] std::vector<Instance> List(const EndpointPath& path) const;
  [[nodiscard]] std::unique_ptr<WatchHandle> Watch(const EndpointPath& path,
                                                   discovery_internal::OnChange on_change);

 private:
  void Run();
  void MarkChanged();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Instance> instances_;
  bool changed_ = false;
  bool stopping_ = false;
  discovery_internal::Watchers watchers_;
  std::thread thread_;
};

// The `mem` backend: registrations live in a MemStore; those of this object are removed when it
// is destroyed. Thread safety as Discovery.
class MemDiscovery final : public Discovery {
 public:
  explicit MemDiscovery(std::shared_ptr<MemStore> store = MemStore::ProcessWide());
  ~MemDiscovery() override;
  MemDiscovery(const MemDiscovery&) = delete;
  MemDiscovery& operator=(const MemDiscovery&) = delete;

  Status Register(const Instance& instance) override;
  Status Deregister(uint64_t instance_id) override;
  StatusOr<std::vector<Instance>> List(const EndpointPath& path) override;
  StatusOr<std::unique_ptr<WatchHandle>> Watch(
      const EndpointPath& path,
      std::function<void(const std::vector<Instance>&)> on_change) override;

 private:
  const std::shared_ptr<MemStore> store_;
  std::mutex mu_;
  std::set<uint64_t> registered_;
};

}  // namespace dynobs::runtime
