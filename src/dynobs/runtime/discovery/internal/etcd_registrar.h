#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/instance.h"
#include "dynobs/runtime/discovery/internal/etcd_client.h"
#include "dynobs/runtime/discovery/internal/etcd_options.h"
#include "dynobs/runtime/discovery/internal/etcd_reachability.h"

namespace dynobs::runtime::discovery_internal {

// The registrations of one etcd Discovery and their lease, kept by one thread:
// - Register grants a lease (TTL options.lease_ttl) when there is none and puts the record under
//   it; the thread sends a keepalive every TTL/3.
// - When a call fails (etcd down) or the lease is gone (etcd wiped, or the lease expired), the
//   thread retries with backoff (100 ms doubling to 5 s) to re-register everything: a new lease,
//   every record put again, the old lease revoked (which removes records deregistered meanwhile).
// - Destruction revokes the lease (removing the records) unless etcd is unreachable.
//
// Thread safety: Register, Deregister, Probe may be called from any thread; Register and
// Deregister wait for the thread's answer (bounded by the request timeout per endpoint).
class EtcdRegistrar {
 public:
  EtcdRegistrar(const EtcdOptions& options, EtcdReachability& reachability);
  ~EtcdRegistrar();
  EtcdRegistrar(const EtcdRegistrar&) = delete;
  EtcdRegistrar& operator=(const EtcdRegistrar&) = delete;

  [[nodiscard]] Status Register(const Instance& instance);
  [[nodiscard]] Status Deregister(uint64_t instance_id);
  // Asks the thread to retry now when it is waiting to re-register (etcd answered elsewhere).
  void Probe();
  // Says that etcd failed a call elsewhere (the watch): the thread checks it and re-registers,
  // with backoff until it answers, and logs when it does.
  void Suspect();
  // Test hook: no more keepalives or retries, and no revoke at destruction, as if the process
  // had died: the records go when the lease expires.
  void StopKeepAlivesForTesting();

 private:
  using Clock = std::chrono::steady_clock;
  struct Command {
    bool is_register = true;
    Instance instance;
    uint64_t instance_id = 0;
    std::promise<Status> done;
  };

  Status Submit(Command command);
  void Run();
  void RunTimers(bool probe);
  Status DoRegister(const Instance& instance);
  Status DoDeregister(uint64_t instance_id);
  Status Put(const Instance& instance);
  void KeepAlive();
  void Recover();
  Status RecoverCalls();
  void Failed(const Status& status);
  void Shutdown();

  const EtcdOptions options_;
  EtcdReachability& reachability_;
  EtcdClient client_;

  // Owned by the thread.
  int64_t lease_ = 0;
  std::map<uint64_t, Instance> registered_;
  bool recovering_ = false;     // re-register on the next attempt
  bool lease_expired_ = false;  // recovering because etcd forgot the lease, not because it's down
  Backoff backoff_;
  Clock::time_point next_ = Clock::now() + std::chrono::hours(1);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Command> commands_;
  bool probe_ = false;
  bool suspect_ = false;
  bool stopping_ = false;
  bool keepalives_stopped_ = false;
  std::thread thread_;  // last
};

}  // namespace dynobs::runtime::discovery_internal
