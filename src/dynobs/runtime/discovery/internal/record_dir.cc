#include "dynobs/runtime/discovery/internal/record_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "dynobs/common/ids.h"
#include "dynobs/logging/log.h"

namespace dynobs::runtime::discovery_internal {
namespace {

constexpr const char* kTarget = "dynobs::discovery";

std::string ErrnoText(int err) { return std::strerror(err); }

int64_t MtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

int64_t RealtimeNanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// mkdir -p; existing directories are fine. The last component gets `last_mode`.
Status MakeDirs(const std::string& path, mode_t last_mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    mode_t mode = pos == path.size() ? last_mode : 0777;
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) {
      return UnavailableError(
          fmt::format("cannot create directory {}: {}", part, ErrnoText(errno)));
    }
  }
  return Status::Ok();
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError(ErrnoText(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

bool ReadAll(int fd, std::string& out, size_t limit) {
  out.resize(limit + 1);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return true;
}

std::string LocalHostname() {
  Instance probe;
  FillProcessIdentity(probe);
  return probe.hostname;
}

}  // namespace

RecordDir::RecordDir(std::string root, std::chrono::milliseconds ttl)
    : root_(std::move(root)), ttl_(ttl), hostname_(LocalHostname()) {}

Status RecordDir::Prepare(const std::string& root) {
  if (root.empty() || root.front() != '/') {
    return FailedPreconditionError("discovery directory \"" + root + "\" is not absolute");
  }
  if (Status s = MakeDirs(root, 0700); !s.ok()) return s;
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPreconditionError("discovery directory " + root + " is not a directory");
  }
  if (::access(root.c_str(), W_OK | X_OK) != 0) {
    return FailedPreconditionError("discovery directory " + root + " is not writable");
  }
  // In a sticky world-writable directory such as /tmp another user could have made it first.
  struct stat parent {};
  if (::stat(ParentOf(root).c_str(), &parent) == 0 && (parent.st_mode & S_ISVTX) != 0 &&
      (parent.st_mode & S_IWOTH) != 0 && st.st_uid != ::geteuid()) {
    return FailedPreconditionError("discovery directory " + root +
                                   " belongs to another user (uid " + std::to_string(st.st_uid) +
                                   ")");
  }
  return Status::Ok();
}

std::string RecordDir::DirOf(const EndpointPath& path) const {
  return root_ + "/" + path.ToString();
}

std::string RecordDir::FileOf(const Instance& instance) const {
  return DirOf(instance.path) + "/" + HexId(instance.instance_id) + ".json";
}

Status RecordDir::Write(const Instance& instance) {
  std::string json = instance.ToJson();
  if (json.size() > Instance::kMaxRecordBytes) {
    return InvalidArgumentError(fmt::format("instance record of {} bytes is larger than {}",
                                            json.size(), Instance::kMaxRecordBytes));
  }
  std::string dir = DirOf(instance.path);
  if (Status s = MakeDirs(dir, 0777); !s.ok()) return s;
  uint64_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = ++temp_counter_;
  }
  std::string name = HexId(instance.instance_id) + ".json";
  std::string temp = fmt::format("{}/.{}.{}.{}.tmp", dir, name, ::getpid(), n);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return UnavailableError("cannot create " + temp + ": " + ErrnoText(errno));
  Status written = WriteAll(fd, json);
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), (dir + "/" + name).c_str()) != 0) {
    written = UnavailableError(ErrnoText(errno));
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return UnavailableError("cannot write " + dir + "/" + name + ": " + written.message());
  }
  return Status::Ok();
}

Status RecordDir::Touch(const Instance& instance) {
  std::string file = FileOf(instance);
  if (::utimensat(AT_FDCWD, file.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0) return Status::Ok();
  if (errno == ENOENT) return NotFoundError(file + " is gone");
  return UnavailableError("cannot touch " + file + ": " + ErrnoText(errno));
}

void RecordDir::Remove(const Instance& instance) { ::unlink(FileOf(instance).c_str()); }

std::vector<Instance> RecordDir::Read(const EndpointPath& path) {
  std::vector<Instance> live;
  const std::string dir = DirOf(path);
  const std::string dir_slash = dir + "/";
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::set<std::string> malformed;
  for (const std::string& name : names) {
    Instance instance;
    FileIdentity identity;
    std::string why;
    Verdict verdict = ReadOne(dir, name, instance, identity, why);
    std::string file = dir_slash + name;
    if (verdict == Verdict::kLive) live.push_back(std::move(instance));
    if (verdict == Verdict::kMalformed) malformed.insert(file);
    Classify(file, verdict, identity, why);
  }
  std::lock_guard lock(mu_);
  std::erase_if(warned_, [&](const auto& entry) {
    return entry.first.starts_with(dir_slash) && !malformed.contains(entry.first);
  });
  return live;
}

RecordDir::Verdict RecordDir::ReadOne(const std::string& dir, const std::string& name,
                                      Instance& out, FileIdentity& identity, std::string& why) {
  std::string file = dir + "/" + name;
  if (name.starts_with(".")) {
    if (name.ends_with(".tmp")) RemoveOldTemp(file);
    return Verdict::kSkip;
  }
  if (!name.ends_with(".json")) return Verdict::kSkip;
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    why = ErrnoText(err);
    return err == ENOENT ? Verdict::kSkip : Verdict::kMalformed;
  }
  struct stat st {};
  std::string text;
  bool read_ok =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ReadAll(fd, text, Instance::kMaxRecordBytes);
  ::close(fd);
  identity = {st.st_ino, MtimeNanos(st), st.st_size};
  if (!read_ok) {
    why = "not a readable regular file";
    return Verdict::kMalformed;
  }
  auto parsed = Instance::FromJson(text);
  if (!parsed.ok()) {
    why = parsed.status().message();
    return Verdict::kMalformed;
  }
  if (parsed->path.ToString() != dir.substr(root_.size() + 1) ||
      name != HexId(parsed->instance_id) + ".json") {
    why = "the record is for " + parsed->Key() + ", not for its file name";
    return Verdict::kMalformed;
  }
  out = std::move(*parsed);
  return Liveness(out, identity.mtime_ns, why);
}

namespace {

// True when `pid` exists only as a zombie: killed, not yet reaped by its parent. Its record is
// as dead as its process (kill(pid, 0) still succeeds on a zombie).
bool IsZombie(int64_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');  // the command name may hold anything
  return close_paren != nullptr && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

}  // namespace

RecordDir::Verdict RecordDir::Liveness(const Instance& instance, int64_t mtime_ns,
                                       std::string& why) const {
  int64_t age_ns = RealtimeNanos() - mtime_ns;
  if (age_ns > std::chrono::nanoseconds(ttl_).count()) {
    why = fmt::format("heartbeat {} ms old", age_ns / 1'000'000);
    return Verdict::kStale;
  }
  // A pid is only meaningful on the host that wrote it.
  if (instance.hostname == hostname_ && instance.pid > 0) {
    if (::kill(static_cast<pid_t>(instance.pid), 0) != 0 && errno == ESRCH) {
      why = fmt::format("pid {} is not alive", instance.pid);
      return Verdict::kStale;
    }
    if (IsZombie(instance.pid)) {
      why = fmt::format("pid {} has exited (a zombie)", instance.pid);
      return Verdict::kStale;
    }
  }
  return Verdict::kLive;
}

void RecordDir::Classify(const std::string& file, Verdict verdict, const FileIdentity& identity,
                         const std::string& why) {
  if (verdict == Verdict::kStale) {
    if (!RemoveIfUnchanged(file, identity)) return;
    DYNOBS_LOG(kInfo, kTarget, "removed stale instance record", {"file", file}, {"reason", why});
    return;
  }
  if (verdict != Verdict::kMalformed) return;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = warned_.try_emplace(file, identity);
    if (!inserted && it->second == identity) return;
    it->second = identity;
  }
  DYNOBS_LOG(kWarn, kTarget, "skipping malformed instance record", {"file", file}, {"error", why});
}

bool RecordDir::RemoveIfUnchanged(const std::string& file, const FileIdentity& identity) {
  // Another reader may have removed it, or its owner rewritten it since we read it.
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) return false;
  if (st.st_ino != identity.inode || MtimeNanos(st) != identity.mtime_ns) return false;
  return ::unlink(file.c_str()) == 0;
}

void RecordDir::RemoveOldTemp(const std::string& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (RealtimeNanos() - MtimeNanos(st) > std::chrono::nanoseconds(ttl_).count()) {
    ::unlink(file.c_str());
  }
}

}  // namespace dynobs::runtime::discovery_internal
