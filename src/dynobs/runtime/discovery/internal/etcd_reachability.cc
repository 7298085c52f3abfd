#include "dynobs/runtime/discovery/internal/etcd_reachability.h"

#include "dynobs/logging/log.h"

namespace dynobs::runtime::discovery_internal {
namespace {

constexpr const char* kTarget = "dynobs::discovery";

}  // namespace

void EtcdReachability::Lost(std::string_view error) {
  {
    std::lock_guard lock(mu_);
    if (!reachable_) return;
    reachable_ = false;
  }
  DYNOBS_LOG(kWarn, kTarget, "etcd unreachable; keeping the last view", {"endpoints", endpoints_},
             {"error", error});
}

void EtcdReachability::Regained(size_t instances) {
  {
    std::lock_guard lock(mu_);
    if (reachable_) return;
    reachable_ = true;
  }
  std::string message =
      "etcd reachable again; re-registered " + std::to_string(instances) + " instances";
  DYNOBS_LOG(kInfo, kTarget, message, {"endpoints", endpoints_}, {"instances", instances});
}

bool EtcdReachability::reachable() const {
  std::lock_guard lock(mu_);
  return reachable_;
}

}  // namespace dynobs::runtime::discovery_internal
