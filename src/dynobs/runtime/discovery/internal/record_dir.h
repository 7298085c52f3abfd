#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/instance.h"

namespace dynobs::runtime::discovery_internal {

// The file backend's directory of instance records: <root>/<namespace>/<component>/<endpoint>/
// <instance id hex>.json, each an Instance::ToJson record whose mtime is its heartbeat.
//
// Writes are atomic (a temp file ".<name>.<pid>.<n>.tmp" in the same directory, then rename), so
// a reader sees the old record or the new one, never a part. Read returns the live records and
// removes stale ones: a record whose heartbeat is older than `ttl`, or whose pid is not alive
// when it was written on this host (kill(pid, 0) fails with ESRCH). Files that do not parse are
// skipped and logged once (WARN) until they change. Temp files older than `ttl` (a writer that
// died mid-write) are removed.
//
// Thread safety: all methods may be called from any thread.
class RecordDir {
 public:
  RecordDir(std::string root, std::chrono::milliseconds ttl);
  RecordDir(const RecordDir&) = delete;
  RecordDir& operator=(const RecordDir&) = delete;

  // Creates `root` (mode 0700) when missing. FailedPrecondition when it is not a directory that
  // this user owns and can write.
  [[nodiscard]] static Status Prepare(const std::string& root);

  [[nodiscard]] Status Write(const Instance& instance);
  // Sets the record's mtime to now. NotFound when the file is gone.
  [[nodiscard]] Status Touch(const Instance& instance);
  void Remove(const Instance& instance);
  [[nodiscard]] std::vector<Instance> Read(const EndpointPath& path);

  [[nodiscard]] std::string FileOf(const Instance& instance) const;
  [[nodiscard]] std::string DirOf(const EndpointPath& path) const;

 private:
  struct FileIdentity {
    ino_t inode = 0;
    int64_t mtime_ns = 0;
    off_t size = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
  };
  enum class Verdict { kLive, kStale, kMalformed, kSkip };

  Verdict ReadOne(const std::string& dir, const std::string& name, Instance& out,
                  FileIdentity& identity, std::string& why);
  Verdict Liveness(const Instance& instance, int64_t mtime_ns, std::string& why) const;
  void Classify(const std::string& file, Verdict verdict, const FileIdentity& identity,
                const std::string& why);
  bool RemoveIfUnchanged(const std::string& file, const FileIdentity& identity);
  void RemoveOldTemp(const std::string& file);

  const std::string root_;
  const std::chrono::milliseconds ttl_;
  const std::string hostname_;
  std::mutex mu_;
  std::map<std::string, FileIdentity> warned_;  // malformed files logged about, by path
  uint64_t temp_counter_ = 0;
};

}  // namespace dynobs::runtime::discovery_internal
