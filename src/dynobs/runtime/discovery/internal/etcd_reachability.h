#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace dynobs::runtime::discovery_internal {

// Whether etcd answers, as the etcd backend's threads find out; each transition is logged once
// (target dynobs::discovery): WARN "etcd unreachable; keeping the last view" when a call fails
// after etcd answered, INFO "etcd reachable again; re-registered N instances" when the
// registration thread has re-made its registrations (or, without any, reached etcd again).
//
// Thread safety: all methods may be called from any thread.
class EtcdReachability {
 public:
  explicit EtcdReachability(std::string endpoints) : endpoints_(std::move(endpoints)) {}

  // A call failed for a transport reason.
  void Lost(std::string_view error);
  // The registration thread re-registered `instances` after etcd answered again.
  void Regained(size_t instances);
  [[nodiscard]] bool reachable() const;

 private:
  const std::string endpoints_;
  mutable std::mutex mu_;
  bool reachable_ = true;
};

// Delays between retries: 100 ms doubling to 5 s, back to 100 ms after a success.
class Backoff {
 public:
  [[nodiscard]] int64_t NextMillis() {
    int64_t out = next_ms_;
    next_ms_ = next_ms_ * 2 > kMaxMillis ? kMaxMillis : next_ms_ * 2;
    return out;
  }
  void Reset() { next_ms_ = kFirstMillis; }

 private:
  static constexpr int64_t kFirstMillis = 100;
  static constexpr int64_t kMaxMillis = 5000;
  int64_t next_ms_ = kFirstMillis;
};

}  // namespace dynobs::runtime::discovery_internal
