#include "dynobs/runtime/discovery/internal/etcd_registrar.h"

#include <utility>

#include <boost/json/object.hpp>

#include "dynobs/common/ids.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/discovery/internal/etcd_protocol.h"

namespace dynobs::runtime::discovery_internal {
namespace {

constexpr const char* kTarget = "dynobs::discovery";

// A failure that says etcd did not answer (rather than answered no).
bool IsTransportFailure(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

EtcdRegistrar::EtcdRegistrar(const EtcdOptions& options, EtcdReachability& reachability)
    : options_(options),
      reachability_(reachability),
      client_(options.endpoints, options.request_timeout),
      thread_([this] { Run(); }) {}

EtcdRegistrar::~EtcdRegistrar() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status EtcdRegistrar::Register(const Instance& instance) {
  Command c;
  c.instance = instance;
  return Submit(std::move(c));
}

Status EtcdRegistrar::Deregister(uint64_t instance_id) {
  Command c;
  c.is_register = false;
  c.instance_id = instance_id;
  return Submit(std::move(c));
}

Status EtcdRegistrar::Submit(Command command) {
  std::future<Status> done = command.done.get_future();
  {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(command));
  }
  cv_.notify_all();
  return done.get();
}

void EtcdRegistrar::Probe() {
  {
    std::lock_guard lock(mu_);
    probe_ = true;
  }
  cv_.notify_all();
}

void EtcdRegistrar::Suspect() {
  {
    std::lock_guard lock(mu_);
    probe_ = true;
    suspect_ = true;
  }
  cv_.notify_all();
}

void EtcdRegistrar::StopKeepAlivesForTesting() {
  std::lock_guard lock(mu_);
  keepalives_stopped_ = true;
}

void EtcdRegistrar::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_until(lock, next_, [this] { return stopping_ || probe_ || !commands_.empty(); });
    if (stopping_) break;
    if (!commands_.empty()) {
      Command c = std::move(commands_.front());
      commands_.pop_front();
      lock.unlock();
      c.done.set_value(c.is_register ? DoRegister(c.instance) : DoDeregister(c.instance_id));
      lock.lock();
      continue;
    }
    bool probe = std::exchange(probe_, false);
    bool suspect = std::exchange(suspect_, false);
    bool stopped = keepalives_stopped_;
    lock.unlock();
    if (suspect) recovering_ = true;
    if (stopped) {
      next_ = Clock::now() + std::chrono::hours(1);
    } else {
      RunTimers(probe);
    }
    lock.lock();
  }
  bool crashed = keepalives_stopped_;
  lock.unlock();
  if (!crashed) Shutdown();
}

void EtcdRegistrar::RunTimers(bool probe) {
  bool due = Clock::now() >= next_;
  if (recovering_ && (due || probe)) {
    Recover();
  } else if (!recovering_ && due) {
    if (lease_ != 0 && registered_.empty()) {
      // A lease whose put failed: nothing to keep alive.
      (void)client_.Call("/v3/lease/revoke", LeaseRequest(std::exchange(lease_, 0)));
    }
    if (lease_ != 0) {
      KeepAlive();
    } else {
      next_ = Clock::now() + std::chrono::hours(1);
    }
  }
}

Status EtcdRegistrar::DoRegister(const Instance& instance) {
  if (registered_.contains(instance.instance_id)) {
    return AlreadyExistsError("instance " + HexId(instance.instance_id) + " is already registered");
  }
  if (instance.ToJson().size() > Instance::kMaxRecordBytes) {
    return InvalidArgumentError("instance record larger than 64 KiB");
  }
  Status s = Put(instance);
  if (s.code() == StatusCode::kNotFound) {
    // The lease expired before we renewed it: every record must be put again.
    registered_.emplace(instance.instance_id, instance);
    lease_expired_ = true;
    recovering_ = true;
    Recover();
    if (!recovering_) return Status::Ok();
    registered_.erase(instance.instance_id);
    return UnavailableError("etcd lost the lease and re-registering failed");
  }
  if (!s.ok()) {
    Failed(s);
    return s;
  }
  registered_.emplace(instance.instance_id, instance);
  if (!recovering_ && next_ > Clock::now() + options_.lease_ttl / 3) {
    next_ = Clock::now() + options_.lease_ttl / 3;
  }
  return Status::Ok();
}

Status EtcdRegistrar::Put(const Instance& instance) {
  if (lease_ == 0) {
    auto grant = client_.Call("/v3/lease/grant", {{"TTL", options_.lease_ttl.count()}});
    if (!grant.ok()) return grant.status();
    auto id = Int64Field(*grant, "ID");
    if (!id.ok() || *id == 0) return UnavailableError("etcd granted no lease");
    lease_ = *id;
  }
  std::string key = InstanceKey(options_.prefix, instance);
  return client_.Call("/v3/kv/put", PutRequest(key, instance.ToJson(), lease_)).status();
}

Status EtcdRegistrar::DoDeregister(uint64_t instance_id) {
  auto it = registered_.find(instance_id);
  if (it == registered_.end()) {
    return NotFoundError("instance " + HexId(instance_id) + " is not registered here");
  }
  std::string key = InstanceKey(options_.prefix, it->second);
  registered_.erase(it);
  if (recovering_) {
    // The recovery revokes the old lease, which removes this record.
    return UnavailableError("etcd is unreachable; the record goes when it answers again");
  }
  Status s;
  if (registered_.empty() && lease_ != 0) {
    s = client_.Call("/v3/lease/revoke", LeaseRequest(lease_)).status();
    if (s.ok() || s.code() == StatusCode::kNotFound) {
      lease_ = 0;
      s = Status::Ok();
    }
  } else {
    s = client_.Call("/v3/kv/deleterange", DeleteRequest(key)).status();
  }
  if (!s.ok()) Failed(s);
  return s;
}

void EtcdRegistrar::KeepAlive() {
  auto r = client_.Call("/v3/lease/keepalive", LeaseRequest(lease_));
  if (!r.ok()) {
    Failed(r.status());
    return;
  }
  const boost::json::object* result = ObjectField(*r, "result");
  auto ttl = result != nullptr ? Int64Field(*result, "TTL") : StatusOr<int64_t>(int64_t{0});
  if (!ttl.ok() || *ttl <= 0) {
    DYNOBS_LOG(kWarn, kTarget, "etcd lease expired; re-registering",
               {"lease", HexId(static_cast<uint64_t>(lease_))}, {"instances", registered_.size()});
    lease_expired_ = true;
    recovering_ = true;
    Recover();
    return;
  }
  next_ = Clock::now() + options_.lease_ttl / 3;
}

void EtcdRegistrar::Failed(const Status& status) {
  if (status.code() == StatusCode::kCancelled) return;
  if (IsTransportFailure(status)) reachability_.Lost(status.message());
  if (!IsTransportFailure(status) && !recovering_) {
    DYNOBS_LOG(kWarn, kTarget, "etcd refused a registration call; retrying",
               {"error", status.ToString()});
  }
  recovering_ = true;
  next_ = Clock::now() + std::chrono::milliseconds(backoff_.NextMillis());
}

void EtcdRegistrar::Recover() {
  Status s = RecoverCalls();
  if (!s.ok()) {
    Failed(s);
    return;
  }
  recovering_ = false;
  backoff_.Reset();
  next_ = Clock::now() + (lease_ != 0 ? options_.lease_ttl / 3 : std::chrono::hours(1));
  if (std::exchange(lease_expired_, false) && reachability_.reachable()) {
    DYNOBS_LOG(kInfo, kTarget, "etcd lease renewed; re-registered instances",
               {"instances", registered_.size()});
  }
  reachability_.Regained(registered_.size());
}

// A new lease with every record put again, then the old lease revoked (best effort: nobody keeps
// it alive, it expires anyway). Without records, a probe that etcd answers.
Status EtcdRegistrar::RecoverCalls() {
  int64_t old_lease = std::exchange(lease_, 0);
  for (const auto& [id, instance] : registered_) {
    if (Status s = Put(instance); !s.ok()) {
      lease_ = 0;  // a partial new lease expires on its own
      return s;
    }
  }
  Status probe = old_lease != 0 ? client_.Call("/v3/lease/revoke", LeaseRequest(old_lease)).status()
                                : client_.Call("/v3/maintenance/status", {}).status();
  if (registered_.empty() && IsTransportFailure(probe)) return probe;
  return Status::Ok();
}

void EtcdRegistrar::Shutdown() {
  if (recovering_ || lease_ == 0) return;
  (void)client_.Call("/v3/lease/revoke", LeaseRequest(lease_));
}

}  // namespace dynobs::runtime::discovery_internal
