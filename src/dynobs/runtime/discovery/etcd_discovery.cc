#include "dynobs/runtime/discovery/etcd_discovery.h"

#include <utility>

#include <fmt/format.h>

#include "dynobs/runtime/discovery/internal/etcd_protocol.h"

namespace dynobs::runtime {
namespace {

namespace internal = discovery_internal;

Status ValidateOptions(const EtcdDiscoveryOptions& options) {
  if (options.endpoints.empty()) return InvalidArgumentError("etcd: no endpoints");
  for (const std::string& url : options.endpoints) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      return InvalidArgumentError("etcd endpoint \"" + url + "\" is not an http(s):// URL");
    }
  }
  const std::string& p = options.prefix;
  if (p.size() < 2 || p.front() != '/' || p.back() != '/') {
    return InvalidArgumentError("etcd key prefix \"" + p + "\" must start and end with '/'");
  }
  if (options.lease_ttl.count() < 1 || options.request_timeout.count() < 1) {
    return InvalidArgumentError("etcd: lease TTL and request timeout must be positive");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<EtcdDiscovery>> EtcdDiscovery::Create(EtcdDiscoveryOptions options) {
  if (Status s = ValidateOptions(options); !s.ok()) return s;
  return std::unique_ptr<EtcdDiscovery>(new EtcdDiscovery(std::move(options)));
}

EtcdDiscovery::EtcdDiscovery(EtcdDiscoveryOptions options)
    : options_(std::move(options)),
      reachability_(fmt::format("{}", fmt::join(options_.endpoints, ","))),
      registrar_(options_, reachability_),
      watcher_(
          options_, reachability_, [this] { registrar_.Suspect(); },
          [this] { registrar_.Probe(); }),
      list_client_(options_.endpoints, options_.request_timeout) {}

Status EtcdDiscovery::Register(const Instance& instance) {
  Instance record = instance;
  FillProcessIdentity(record);
  if (Status s = record.Validate(); !s.ok()) return s;
  return registrar_.Register(record);
}

Status EtcdDiscovery::Deregister(uint64_t instance_id) {
  return registrar_.Deregister(instance_id);
}

StatusOr<std::vector<Instance>> EtcdDiscovery::List(const EndpointPath& path) {
  if (Status s = path.Validate(); !s.ok()) return s;
  std::string prefix = internal::EndpointPrefix(options_.prefix, path);
  StatusOr<boost::json::object> response = [&] {
    std::lock_guard lock(list_mu_);
    return list_client_.Call("/v3/kv/range", internal::RangeRequest(prefix));
  }();
  if (!response.ok()) return response.status();
  auto range = internal::ParseRange(*response);
  if (!range.ok()) return UnavailableError(range.status().message());
  std::vector<Instance> out;
  for (const internal::KeyValue& kv : range->kvs) {
    auto instance = internal::DecodeInstance(options_.prefix, kv);
    if (instance.ok()) out.push_back(std::move(*instance));  // the watch logs malformed ones
  }
  internal::SortInstances(out);
  return out;
}

StatusOr<std::unique_ptr<WatchHandle>> EtcdDiscovery::Watch(
    const EndpointPath& path, std::function<void(const std::vector<Instance>&)> on_change) {
  if (Status s = path.Validate(); !s.ok()) return s;
  return watcher_.Add(path, std::move(on_change));
}

}  // namespace dynobs::runtime
