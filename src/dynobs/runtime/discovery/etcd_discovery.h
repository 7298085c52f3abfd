#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/discovery/internal/etcd_client.h"
#include "dynobs/runtime/discovery/internal/etcd_options.h"
#include "dynobs/runtime/discovery/internal/etcd_reachability.h"
#include "dynobs/runtime/discovery/internal/etcd_registrar.h"
#include "dynobs/runtime/discovery/internal/etcd_watcher.h"

namespace dynobs::runtime {

using EtcdDiscoveryOptions = discovery_internal::EtcdOptions;

// The `etcd` backend, for processes on several machines: etcd v3 through its JSON gateway
// (HTTP, libcurl). Records live under `<prefix><namespace>/<component>/<endpoint>/<id hex>`
// with a lease that a thread keeps alive; a second thread serves the watches from a /v3/watch
// stream. When etcd is down or restarted, watches keep their last view, registrations are made
// again when it answers, and each transition is logged once (internal/etcd_registrar.h,
// internal/etcd_watcher.h, docs/discovery.md).
//
// Costs: Register and Deregister are one or two HTTP calls, made by the registration thread
// while the caller waits; List is one range call on the caller's thread (Lists are serialized).
// Every call is bounded by options.request_timeout per endpoint.
// Thread safety and lifetime as Discovery.
class EtcdDiscovery final : public Discovery {
 public:
  // InvalidArgument for options without endpoints, with a URL that is not http(s)://, or a
  // prefix that does not start and end with '/'. Does not contact etcd.
  [[nodiscard]] static StatusOr<std::unique_ptr<EtcdDiscovery>> Create(
      EtcdDiscoveryOptions options);
  ~EtcdDiscovery() override = default;
  EtcdDiscovery(const EtcdDiscovery&) = delete;
  EtcdDiscovery& operator=(const EtcdDiscovery&) = delete;

  Status Register(const Instance& instance) override;
  Status Deregister(uint64_t instance_id) override;
  StatusOr<std::vector<Instance>> List(const EndpointPath& path) override;
  StatusOr<std::unique_ptr<WatchHandle>> Watch(
      const EndpointPath& path,
      std::function<void(const std::vector<Instance>&)> on_change) override;

  // Test hook: stops the keepalives (and the revoke at destruction), as if the process had
  // crashed: its records disappear when the lease expires.
  void StopKeepAlivesForTesting() { registrar_.StopKeepAlivesForTesting(); }

 private:
  explicit EtcdDiscovery(EtcdDiscoveryOptions options);

  const EtcdDiscoveryOptions options_;
  discovery_internal::EtcdReachability reachability_;
  discovery_internal::EtcdRegistrar registrar_;
  discovery_internal::EtcdWatcher watcher_;  // after registrar_: it calls it
  std::mutex list_mu_;
  discovery_internal::EtcdClient list_client_;  // guarded by list_mu_
};

}  // namespace dynobs::runtime
