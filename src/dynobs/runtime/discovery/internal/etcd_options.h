#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace dynobs::runtime::discovery_internal {

struct EtcdOptions {
  std::vector<std::string> endpoints;  // base URLs, at least one
  std::string prefix = "/dynobs/instances/";
  std::chrono::seconds lease_ttl{10};                // etcd raises it to its minimum (~2 s)
  std::chrono::milliseconds request_timeout{2'000};  // per call and endpoint
};

}  // namespace dynobs::runtime::discovery_internal
