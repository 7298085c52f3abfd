#include "dynobs/runtime/discovery/internal/watchers.h"

#include <algorithm>
#include <utility>

namespace dynobs::runtime::discovery_internal {

class Watchers::Watch {
 public:
  Watch(EndpointPath path, OnChange on_change)
      : path_(std::move(path)), on_change_(std::move(on_change)) {}

  [[nodiscard]] const EndpointPath& path() const { return path_; }
  [[nodiscard]] bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  [[nodiscard]] bool delivered() const { return delivered_.load(std::memory_order_acquire); }

  void Deliver(std::vector<Instance> set) {
    std::lock_guard lock(call_mu_);
    if (cancelled() || (last_ && *last_ == set)) return;
    last_ = std::move(set);
    delivered_.store(true, std::memory_order_release);
    calling_.store(std::this_thread::get_id());
    on_change_(*last_);
    calling_.store(std::thread::id());
  }

  void Cancel() {
    if (calling_.load() == std::this_thread::get_id()) {
      // Inside this watch's own callback, which holds call_mu_ on this thread.
      cancelled_.store(true, std::memory_order_release);
      return;
    }
    std::lock_guard lock(call_mu_);
    cancelled_.store(true, std::memory_order_release);
  }

 private:
  const EndpointPath path_;
  const OnChange on_change_;
  std::mutex call_mu_;
  std::optional<std::vector<Instance>> last_;  // guarded by call_mu_
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> delivered_{false};
  std::atomic<std::thread::id> calling_{};
};

namespace {

class Handle final : public WatchHandle {
 public:
  explicit Handle(std::shared_ptr<void> cancel_on_destroy, std::function<void()> cancel)
      : keep_(std::move(cancel_on_destroy)), cancel_(std::move(cancel)) {}
  ~Handle() override { cancel_(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 private:
  std::shared_ptr<void> keep_;
  std::function<void()> cancel_;
};

}  // namespace

std::unique_ptr<WatchHandle> Watchers::Add(const EndpointPath& path, OnChange on_change) {
  auto watch = std::make_shared<Watch>(path, std::move(on_change));
  {
    std::lock_guard lock(mu_);
    watches_.push_back(watch);
  }
  Watch* raw = watch.get();
  return std::make_unique<Handle>(std::move(watch), [raw] { raw->Cancel(); });
}

std::vector<std::shared_ptr<Watchers::Watch>> Watchers::Snapshot() const {
  std::lock_guard lock(mu_);
  std::erase_if(watches_, [](const auto& w) { return w->cancelled(); });
  return watches_;
}

std::vector<EndpointPath> Watchers::Paths() const {
  std::vector<EndpointPath> paths;
  for (const auto& w : Snapshot()) {
    if (std::find(paths.begin(), paths.end(), w->path()) == paths.end()) {
      paths.push_back(w->path());
    }
  }
  return paths;
}

void Watchers::Deliver(const std::function<std::vector<Instance>(const EndpointPath&)>& current) {
  for (const auto& w : Snapshot()) {
    std::vector<Instance> set = current(w->path());
    SortInstances(set);
    w->Deliver(std::move(set));
  }
}

void Watchers::DeliverInitial(
    const std::function<std::vector<Instance>(const EndpointPath&)>& current) {
  for (const auto& w : Snapshot()) {
    if (w->delivered()) continue;
    std::vector<Instance> set = current(w->path());
    SortInstances(set);
    w->Deliver(std::move(set));
  }
}

void SortInstances(std::vector<Instance>& instances) {
  std::sort(instances.begin(), instances.end(),
            [](const Instance& a, const Instance& b) { return a.instance_id < b.instance_id; });
}

}  // namespace dynobs::runtime::discovery_internal
