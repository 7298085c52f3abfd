#include "dynobs/runtime/discovery/discovery.h"

#include <unistd.h>

#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include "dynobs/runtime/discovery/etcd_discovery.h"
#include "dynobs/runtime/discovery/file_discovery.h"
#include "dynobs/runtime/discovery/mem_discovery.h"

namespace dynobs::runtime {
namespace {

constexpr std::string_view kDefaultEtcdEndpoint = "http://localhost:2379";

std::string_view Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

// "host:port" becomes "http://host:port"; a trailing '/' goes. nullopt when not an http(s) URL
// of a host (and port), without a path, query or fragment.
std::optional<std::string> NormalizeEndpoint(std::string_view entry) {
  std::string url(entry);
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (url.ends_with('/')) url.pop_back();
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::nullopt;
  bool ok = (parsed->scheme() == "http" || parsed->scheme() == "https") &&
            parsed->has_authority() && !parsed->host().empty() && parsed->path().empty() &&
            !parsed->has_userinfo();
  if (!ok) return std::nullopt;
  return url;
}

Status ReadEtcdEndpoints(const env::Reader& env, DiscoveryConfig& c) {
  constexpr std::string_view kName = "ETCD_ENDPOINTS";
  auto v = env.String(kName);
  if (!v) {
    c.etcd_endpoints = {std::string(kDefaultEtcdEndpoint)};
    return Status::Ok();
  }
  std::string_view rest = *v;
  while (true) {
    size_t comma = rest.find(',');
    auto url = NormalizeEndpoint(Trim(rest.substr(0, comma)));
    if (!url) {
      return env::InvalidSetting(kName, *v,
                                 "comma-separated etcd client URLs such as "
                                 "http://10.0.0.1:2379,http://10.0.0.2:2379");
    }
    c.etcd_endpoints.push_back(std::move(*url));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Status ReadDir(const env::Reader& env, DiscoveryConfig& c) {
  constexpr std::string_view kName = "DYN_DISCOVERY_DIR";
  if (auto v = env.String(kName)) {
    if (v->front() != '/' || v->find_first_of("\n\r\t") != std::string::npos) {
      return env::InvalidSetting(kName, *v, "an absolute directory path");
    }
    c.dir = *v;
    while (c.dir.size() > 1 && c.dir.ends_with('/')) c.dir.pop_back();
    return Status::Ok();
  }
  auto runtime_dir = env.String("XDG_RUNTIME_DIR");
  if (runtime_dir && runtime_dir->front() == '/') {
    c.dir = *runtime_dir + "/dynobs/discovery";
  } else {
    c.dir = fmt::format("/tmp/dynobs-discovery-{}", ::geteuid());
  }
  return Status::Ok();
}

}  // namespace

StatusOr<DiscoveryConfig> LoadDiscoveryConfig(const env::Reader& env) {
  DiscoveryConfig c;
  if (auto backend = env.String("DYN_DISCOVERY_BACKEND")) {
    if (*backend == "file") {
      c.backend = DiscoveryConfig::Backend::kFile;
    } else if (*backend == "etcd") {
      c.backend = DiscoveryConfig::Backend::kEtcd;
    } else if (*backend == "mem") {
      c.backend = DiscoveryConfig::Backend::kMem;
    } else {
      return env::InvalidSetting("DYN_DISCOVERY_BACKEND", *backend, "file, etcd or mem");
    }
  }
  auto ttl = env.Int("DYN_DISCOVERY_TTL_SECONDS", 3, 3600);
  if (!ttl.ok()) return ttl.status();
  if (*ttl) c.ttl_seconds = **ttl;
  if (c.backend == DiscoveryConfig::Backend::kFile) {
    if (Status s = ReadDir(env, c); !s.ok()) return s;
  }
  if (c.backend == DiscoveryConfig::Backend::kEtcd) {
    if (Status s = ReadEtcdEndpoints(env, c); !s.ok()) return s;
  }
  return c;
}

StatusOr<std::unique_ptr<Discovery>> CreateDiscovery(const DiscoveryConfig& config) {
  switch (config.backend) {
    case DiscoveryConfig::Backend::kMem:
      return std::unique_ptr<Discovery>(std::make_unique<MemDiscovery>());
    case DiscoveryConfig::Backend::kFile: {
      FileDiscoveryOptions options;
      options.dir = config.dir;
      options.ttl = std::chrono::seconds(config.ttl_seconds);
      auto file = FileDiscovery::Create(std::move(options));
      if (!file.ok()) return file.status();
      return std::unique_ptr<Discovery>(std::move(*file));
    }
    case DiscoveryConfig::Backend::kEtcd: {
      EtcdDiscoveryOptions options;
      options.endpoints = config.etcd_endpoints;
      options.prefix = config.etcd_prefix;
      options.lease_ttl = std::chrono::seconds(config.ttl_seconds);
      auto etcd = EtcdDiscovery::Create(std::move(options));
      if (!etcd.ok()) return etcd.status();
      return std::unique_ptr<Discovery>(std::move(*etcd));
    }
  }
  return InternalError("unknown discovery backend");
}

}  // namespace dynobs::runtime
