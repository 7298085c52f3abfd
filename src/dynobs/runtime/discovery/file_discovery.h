#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/discovery/internal/periodic_thread.h"
#include "dynobs/runtime/discovery/internal/record_dir.h"
#include "dynobs/runtime/discovery/internal/watchers.h"

namespace dynobs::runtime {

struct FileDiscoveryOptions {
  std::string dir;                             // absolute; created (0700) when missing
  std::chrono::milliseconds ttl{10'000};       // a record older than this is stale
  std::chrono::milliseconds heartbeat{1'000};  // how often registered records are touched
  std::chrono::milliseconds poll{150};         // how often watched endpoints are re-read
};

// The `file` backend: processes on one machine share a directory of instance records
// (internal/record_dir.h has the layout and the staleness rules; docs/discovery.md the format).
//
// Threads: one touches this object's records every `heartbeat` (and rewrites one that another
// process removed); one re-reads the watched endpoints every `poll` and runs the watch callbacks.
// Costs: List reads every record of the endpoint (a few syscalls per instance).
// Thread safety and lifetime as Discovery; the destructor removes the records it registered.
class FileDiscovery final : public Discovery {
 public:
  // InvalidArgument unless ttl > 2 * heartbeat; RecordDir::Prepare's errors for the directory.
  [[nodiscard]] static StatusOr<std::unique_ptr<FileDiscovery>> Create(
      FileDiscoveryOptions options);
  ~FileDiscovery() override;
  FileDiscovery(const FileDiscovery&) = delete;
  FileDiscovery& operator=(const FileDiscovery&) = delete;

  Status Register(const Instance& instance) override;
  Status Deregister(uint64_t instance_id) override;
  StatusOr<std::vector<Instance>> List(const EndpointPath& path) override;
  StatusOr<std::unique_ptr<WatchHandle>> Watch(
      const EndpointPath& path,
      std::function<void(const std::vector<Instance>&)> on_change) override;

  // Test hook: behaves from now on like a process that died without cleaning up (no more
  // heartbeats; the destructor leaves the records behind).
  void SimulateCrashForTesting();

 private:
  explicit FileDiscovery(FileDiscoveryOptions options);
  void Heartbeat();
  void Poll();

  const FileDiscoveryOptions options_;
  discovery_internal::RecordDir records_;
  std::mutex mu_;
  std::map<uint64_t, Instance> registered_;  // guarded by mu_
  bool crashed_ = false;                     // guarded by mu_
  bool heartbeat_failing_ = false;           // guarded by mu_
  discovery_internal::Watchers watchers_;
  // Last: they start after, and stop before, what they read.
  std::unique_ptr<discovery_internal::PeriodicThread> heartbeat_thread_;
  std::unique_ptr<discovery_internal::PeriodicThread> poll_thread_;
};

}  // namespace dynobs::runtime
