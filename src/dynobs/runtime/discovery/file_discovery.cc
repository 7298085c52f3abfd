#include "dynobs/runtime/discovery/file_discovery.h"

#include <utility>

#include "dynobs/common/ids.h"
#include "dynobs/logging/log.h"

namespace dynobs::runtime {
namespace {

constexpr const char* kTarget = "dynobs::discovery";

}  // namespace

StatusOr<std::unique_ptr<FileDiscovery>> FileDiscovery::Create(FileDiscoveryOptions options) {
  if (options.poll.count() <= 0 || options.heartbeat.count() <= 0 ||
      options.ttl <= 2 * options.heartbeat) {
    return InvalidArgumentError("file discovery: the TTL must exceed two heartbeats");
  }
  if (Status s = discovery_internal::RecordDir::Prepare(options.dir); !s.ok()) return s;
  return std::unique_ptr<FileDiscovery>(new FileDiscovery(std::move(options)));
}

FileDiscovery::FileDiscovery(FileDiscoveryOptions options)
    : options_(std::move(options)), records_(options_.dir, options_.ttl) {
  heartbeat_thread_ = std::make_unique<discovery_internal::PeriodicThread>(options_.heartbeat,
                                                                           [this] { Heartbeat(); });
  poll_thread_ =
      std::make_unique<discovery_internal::PeriodicThread>(options_.poll, [this] { Poll(); });
}

FileDiscovery::~FileDiscovery() {
  poll_thread_.reset();
  heartbeat_thread_.reset();
  std::lock_guard lock(mu_);
  if (crashed_) return;
  for (const auto& [id, instance] : registered_) records_.Remove(instance);
}

Status FileDiscovery::Register(const Instance& instance) {
  Instance record = instance;
  FillProcessIdentity(record);
  if (Status s = record.Validate(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (registered_.contains(record.instance_id)) {
    return AlreadyExistsError("instance " + HexId(record.instance_id) + " is already registered");
  }
  if (Status s = records_.Write(record); !s.ok()) return s;
  registered_.emplace(record.instance_id, std::move(record));
  return Status::Ok();
}

Status FileDiscovery::Deregister(uint64_t instance_id) {
  std::lock_guard lock(mu_);
  auto it = registered_.find(instance_id);
  if (it == registered_.end()) {
    return NotFoundError("instance " + HexId(instance_id) + " is not registered here");
  }
  records_.Remove(it->second);
  registered_.erase(it);
  return Status::Ok();
}

StatusOr<std::vector<Instance>> FileDiscovery::List(const EndpointPath& path) {
  if (Status s = path.Validate(); !s.ok()) return s;
  std::vector<Instance> out = records_.Read(path);
  discovery_internal::SortInstances(out);
  return out;
}

StatusOr<std::unique_ptr<WatchHandle>> FileDiscovery::Watch(
    const EndpointPath& path, std::function<void(const std::vector<Instance>&)> on_change) {
  if (Status s = path.Validate(); !s.ok()) return s;
  auto handle = watchers_.Add(path, std::move(on_change));
  poll_thread_->Wake();
  return handle;
}

void FileDiscovery::SimulateCrashForTesting() {
  std::lock_guard lock(mu_);
  crashed_ = true;
}

void FileDiscovery::Heartbeat() {
  // Under mu_, so that a record Deregister removed is never rewritten.
  std::lock_guard lock(mu_);
  if (crashed_) return;
  Status failed;
  for (const auto& [id, instance] : registered_) {
    Status touched = records_.Touch(instance);
    if (touched.code() == StatusCode::kNotFound) touched = records_.Write(instance);
    if (!touched.ok()) failed = touched;
  }
  // Said once per streak of failures, and once when they end.
  if (!failed.ok() && !heartbeat_failing_) {
    DYNOBS_LOG(kWarn, kTarget, "instance record heartbeat failing", {"error", failed.message()});
  } else if (failed.ok() && heartbeat_failing_) {
    DYNOBS_LOG(kInfo, kTarget, "instance record heartbeat working again");
  }
  heartbeat_failing_ = !failed.ok();
}

void FileDiscovery::Poll() {
  std::map<std::string, std::vector<Instance>> current;
  for (const EndpointPath& path : watchers_.Paths()) {
    current.emplace(path.ToString(), records_.Read(path));
  }
  watchers_.Deliver([&](const EndpointPath& path) {
    auto it = current.find(path.ToString());
    return it != current.end() ? it->second : records_.Read(path);
  });
}

}  // namespace dynobs::runtime
