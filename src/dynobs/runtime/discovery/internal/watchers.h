#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dynobs/runtime/discovery/discovery.h"

namespace dynobs::runtime::discovery_internal {

using OnChange = std::function<void(const std::vector<Instance>&)>;

// The watches of one backend and what each has been told. Backends compute the current set of an
// endpoint and call Deliver; a watch's callback runs only when its set differs from the one it
// saw last (the first Deliver always calls it).
//
// Thread safety: all methods may be called from any thread. Callbacks of one watch run one at a
// time. The WatchHandle that Add returns may outlive the Watchers; destroying it waits for a
// callback of its watch that runs on another thread, and returns at once when called from inside
// that callback; no callback of the watch starts afterwards.
class Watchers {
 public:
  Watchers() = default;
  Watchers(const Watchers&) = delete;
  Watchers& operator=(const Watchers&) = delete;

  [[nodiscard]] std::unique_ptr<WatchHandle> Add(const EndpointPath& path, OnChange on_change);

  // The paths with at least one live watch (duplicates removed).
  [[nodiscard]] std::vector<EndpointPath> Paths() const;
  [[nodiscard]] bool empty() const { return Paths().empty(); }

  // Calls each live watch whose set, `current(path)` sorted by instance id, changed. Watches
  // added while Deliver runs wait for the next call.
  void Deliver(const std::function<std::vector<Instance>(const EndpointPath&)>& current);

  // Delivers only to watches that were never called (a newly added watch), from `current`.
  void DeliverInitial(const std::function<std::vector<Instance>(const EndpointPath&)>& current);

 private:
  class Watch;
  std::vector<std::shared_ptr<Watch>> Snapshot() const;

  mutable std::mutex mu_;
  mutable std::vector<std::shared_ptr<Watch>> watches_;
};

// Sorts by instance id, so that sets compare equal regardless of discovery order.
void SortInstances(std::vector<Instance>& instances);

}  // namespace dynobs::runtime::discovery_internal
