#include "dynobs/runtime/discovery/mem_discovery.h"

#include <utility>

#include "dynobs/common/ids.h"

namespace dynobs::runtime {

MemStore::MemStore() : thread_([this] { Run(); }) {}

MemStore::~MemStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<MemStore> MemStore::ProcessWide() {
  static std::mutex mu;
  static std::weak_ptr<MemStore> current;
  std::lock_guard lock(mu);
  std::shared_ptr<MemStore> store = current.lock();
  if (!store) {
    store = std::make_shared<MemStore>();
    current = store;
  }
  return store;
}

Status MemStore::Add(const Instance& instance) {
  {
    std::lock_guard lock(mu_);
    if (!instances_.emplace(instance.instance_id, instance).second) {
      return AlreadyExistsError("instance " + HexId(instance.instance_id) +
                                " is already registered");
    }
  }
  MarkChanged();
  return Status::Ok();
}

void MemStore::Remove(uint64_t instance_id) {
  {
    std::lock_guard lock(mu_);
    instances_.erase(instance_id);
  }
  MarkChanged();
}

std::vector<Instance> MemStore::List(const EndpointPath& path) const {
  std::vector<Instance> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, instance] : instances_) {
    if (instance.path == path) out.push_back(instance);
  }
  return out;
}

std::unique_ptr<WatchHandle> MemStore::Watch(const EndpointPath& path,
                                             discovery_internal::OnChange on_change) {
  auto handle = watchers_.Add(path, std::move(on_change));
  MarkChanged();
  return handle;
}

void MemStore::MarkChanged() {
  {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  cv_.notify_all();
}

void MemStore::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return changed_ || stopping_; });
    if (stopping_) return;
    changed_ = false;
    lock.unlock();
    watchers_.Deliver([this](const EndpointPath& path) { return List(path); });
    lock.lock();
  }
}

MemDiscovery::MemDiscovery(std::shared_ptr<MemStore> store) : store_(std::move(store)) {}

MemDiscovery::~MemDiscovery() {
  std::lock_guard lock(mu_);
  for (uint64_t id : registered_) store_->Remove(id);
}

Status MemDiscovery::Register(const Instance& instance) {
  Instance record = instance;
  FillProcessIdentity(record);
  if (Status s = record.Validate(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (Status s = store_->Add(record); !s.ok()) return s;
  registered_.insert(record.instance_id);
  return Status::Ok();
}

Status MemDiscovery::Deregister(uint64_t instance_id) {
  std::lock_guard lock(mu_);
  if (registered_.erase(instance_id) == 0) {
    return NotFoundError("instance " + HexId(instance_id) + " is not registered here");
  }
  store_->Remove(instance_id);
  return Status::Ok();
}

StatusOr<std::vector<Instance>> MemDiscovery::List(const EndpointPath& path) {
  if (Status s = path.Validate(); !s.ok()) return s;
  std::vector<Instance> out = store_->List(path);
  discovery_internal::SortInstances(out);
  return out;
}

StatusOr<std::unique_ptr<WatchHandle>> MemDiscovery::Watch(
    const EndpointPath& path, std::function<void(const std::vector<Instance>&)> on_change) {
  if (Status s = path.Validate(); !s.ok()) return s;
  return store_->Watch(path, std::move(on_change));
}

}  // namespace dynobs::runtime
