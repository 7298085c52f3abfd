#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/instance.h"

namespace dynobs::runtime {

// Stops a watch when destroyed (no callback runs after the destructor returns).
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

// Where instances announce themselves and callers find them (spec issue 4 §2). Backends: `mem`
// (one process), `file` (a directory shared by processes on one machine), `etcd` (several
// machines).
//
// Thread safety: all methods may be called from any thread. Watch callbacks run on a thread of
// the backend's, one at a time per watch.
class Discovery {
 public:
  virtual ~Discovery() = default;

  // Announces an instance and keeps it alive (heartbeat, lease) until Deregister or until the
  // Discovery is destroyed.
  virtual Status Register(const Instance& instance) = 0;
  virtual Status Deregister(uint64_t instance_id) = 0;
  // The live instances of an endpoint now.
  virtual StatusOr<std::vector<Instance>> List(const EndpointPath& path) = 0;
  // Calls `on_change` with the whole current set of live instances of `path` at once, then each
  // time the set changes (an instance added, removed, or found stale). When the backend is
  // unreachable, the last set stays as it was.
  virtual std::unique_ptr<WatchHandle> Watch(
      const EndpointPath& path, std::function<void(const std::vector<Instance>&)> on_change) = 0;
};

struct DiscoveryConfig {
  enum class Backend { kMem, kFile, kEtcd };
  Backend backend = Backend::kFile;
  std::string dir;  // file: DYN_DISCOVERY_DIR (default under $XDG_RUNTIME_DIR or /tmp)
  std::vector<std::string> etcd_endpoints;  // etcd: ETCD_ENDPOINTS, comma-separated URLs
  std::string etcd_prefix = "/dynobs/instances/";
  int64_t lease_ttl_seconds = 10;
};

// DYN_DISCOVERY_BACKEND (file|etcd|mem), DYN_DISCOVERY_DIR, ETCD_ENDPOINTS.
[[nodiscard]] StatusOr<DiscoveryConfig> LoadDiscoveryConfig(const env::Reader& env);
[[nodiscard]] StatusOr<std::unique_ptr<Discovery>> CreateDiscovery(const DiscoveryConfig& config);

}  // namespace dynobs::runtime
