#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/instance.h"

namespace dynobs::runtime {

// Stops a watch when destroyed: no callback of the watch starts after the destructor returns,
// and one running on another thread is waited for. Destroying it from inside its own callback is
// allowed (it then returns at once). It may outlive the Discovery that made it.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

// Where instances announce themselves and callers find them (issue 4 §2, docs/discovery.md).
// Backends: `mem` (one process), `file` (a directory shared by processes on one machine), `etcd`
// (several machines).
//
// Thread safety: all methods may be called from any thread. Watch callbacks run on a thread of
// the backend's, one at a time per watch; they must not throw, and must not destroy the Discovery.
// Lifetime: destroying a Discovery removes the instances it registered (best effort for etcd:
// their lease expires anyway) and stops its threads; outstanding WatchHandles stay safe to
// destroy.
class Discovery {
 public:
  virtual ~Discovery() = default;

  // Announces an instance and keeps it alive (heartbeat, lease) until Deregister or until the
  // Discovery is destroyed. Fills pid and hostname when unset. InvalidArgument for an invalid
  // record (Instance::Validate), AlreadyExists for an id this Discovery registered already,
  // Unavailable when the backend cannot store it now (nothing is kept then).
  virtual Status Register(const Instance& instance) = 0;
  // Removes an instance this Discovery registered (NotFound otherwise). When the backend cannot
  // be reached (Unavailable), the record still goes: when it answers again, or when its lease
  // expires.
  virtual Status Deregister(uint64_t instance_id) = 0;
  // The live instances of an endpoint now, sorted by instance id. Unavailable when the backend
  // cannot be reached.
  virtual StatusOr<std::vector<Instance>> List(const EndpointPath& path) = 0;
  // Calls `on_change` with the whole current set of live instances of `path` (sorted by instance
  // id, possibly empty), then each time the set changes (an instance added, removed, changed, or
  // found stale). While the backend is unreachable the last set stays as it was; an etcd watch
  // whose backend is down at the start gets its first call when etcd answers.
  // InvalidArgument for an invalid path.
  virtual StatusOr<std::unique_ptr<WatchHandle>> Watch(
      const EndpointPath& path, std::function<void(const std::vector<Instance>&)> on_change) = 0;
};

struct DiscoveryConfig {
  enum class Backend { kMem, kFile, kEtcd };
  Backend backend = Backend::kFile;
  // file: DYN_DISCOVERY_DIR, default $XDG_RUNTIME_DIR/dynobs/discovery, else
  // /tmp/dynobs-discovery-<uid>.
  std::string dir;
  // etcd: ETCD_ENDPOINTS, comma-separated URLs, default http://localhost:2379 (as Dynamo).
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "/dynobs/instances/";
  // DYN_DISCOVERY_TTL_SECONDS: etcd lease TTL; file backend heartbeat age after which a record is
  // stale.
  int64_t ttl_seconds = 10;
};

// Reads DYN_DISCOVERY_BACKEND (file|etcd|mem), DYN_DISCOVERY_DIR, ETCD_ENDPOINTS,
// DYN_DISCOVERY_TTL_SECONDS (3..3600) and XDG_RUNTIME_DIR. A bad value is an InvalidArgument
// whose message is the one start-up line naming the variable.
[[nodiscard]] StatusOr<DiscoveryConfig> LoadDiscoveryConfig(const env::Reader& env);

// Makes the configured backend: `mem` shares the process-wide MemStore; `file` creates the
// directory if needed (an error when it cannot, or when it is not a directory this user owns);
// `etcd` starts its threads without waiting for etcd (Register says whether it answers).
[[nodiscard]] StatusOr<std::unique_ptr<Discovery>> CreateDiscovery(const DiscoveryConfig& config);

}  // namespace dynobs::runtime
