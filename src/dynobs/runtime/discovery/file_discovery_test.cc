#include "dynobs/runtime/discovery/file_discovery.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "dynobs/common/ids.h"
#include "dynobs/runtime/discovery/testing/discovery_testing.h"

namespace dynobs::runtime {
namespace {

using testing::Ids;
using testing::LogCapture;
using testing::MakeInstance;
using testing::TempDir;
using testing::WaitUntil;
using testing::WatchRecorder;

const EndpointPath kGenerate{"dynamo", "backend", "generate"};
constexpr std::string_view kMalformed = "skipping malformed instance record";

std::unique_ptr<FileDiscovery> Open(const std::string& dir,
                                    std::chrono::milliseconds ttl = std::chrono::seconds(10),
                                    std::chrono::milliseconds heartbeat = std::chrono::seconds(1)) {
  FileDiscoveryOptions options;
  options.dir = dir;
  options.ttl = ttl;
  options.heartbeat = heartbeat;
  options.poll = std::chrono::milliseconds(20);
  auto d = FileDiscovery::Create(options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

std::string RecordPath(const std::string& dir, uint64_t id) {
  return dir + "/dynamo/backend/generate/" + HexId(id) + ".json";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void SetMtime(const std::string& path, std::chrono::seconds ago) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= ago.count();
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(FileDiscoveryTest, TwoObjectsOnOneDirectorySeeEachOther) {
  TempDir dir;
  auto a = Open(dir.path());
  auto b = Open(dir.path());
  ASSERT_TRUE(a->Register(MakeInstance(3)).ok());
  ASSERT_TRUE(b->Register(MakeInstance(1)).ok());
  ASSERT_TRUE(b->Register(MakeInstance(2, "other")).ok());
  auto listed = a->List(kGenerate);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ((*listed)[0].pid, ::getpid());
  EXPECT_EQ((*listed)[0].model, MakeInstance(1).model);
  EXPECT_EQ(Ids(*b->List({"dynamo", "backend", "other"})), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(a->List({"dynamo", "backend", "nothing"})->empty());
}

TEST(FileDiscoveryTest, RecordIsTheInstanceJsonAtItsKey) {
  TempDir dir;
  auto a = Open(dir.path());
  Instance inst = MakeInstance(0xabc);
  ASSERT_TRUE(a->Register(inst).ok());
  FillProcessIdentity(inst);
  EXPECT_EQ(ReadFile(RecordPath(dir.path(), 0xabc)), inst.ToJson());
  EXPECT_EQ(a->Register(inst).code(), StatusCode::kAlreadyExists);
}

TEST(FileDiscoveryTest, DeregisterAndDestructionRemoveRecords) {
  TempDir dir;
  auto a = Open(dir.path());
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  ASSERT_TRUE(a->Register(MakeInstance(2)).ok());
  ASSERT_TRUE(a->Deregister(1).ok());
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 1)));
  EXPECT_TRUE(std::filesystem::exists(RecordPath(dir.path(), 2)));
  EXPECT_EQ(a->Deregister(1).code(), StatusCode::kNotFound);
  a.reset();
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 2)));
}

TEST(FileDiscoveryTest, WatchSeesOtherObjectsComeAndGo) {
  TempDir dir;
  auto a = Open(dir.path());
  auto b = Open(dir.path());
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(recorder.WaitForIds({}));
  ASSERT_TRUE(b->Register(MakeInstance(7)).ok());
  ASSERT_TRUE(recorder.WaitForIds({7}));
  ASSERT_TRUE(b->Register(MakeInstance(5)).ok());
  ASSERT_TRUE(recorder.WaitForIds({5, 7}));
  b.reset();
  ASSERT_TRUE(recorder.WaitForIds({}));
  // Only changes are reported: no call repeats the set before it.
  auto history = recorder.History();
  for (size_t i = 1; i < history.size(); ++i) EXPECT_NE(history[i], history[i - 1]);
  handle->reset();
}

// Reaped or not: a killed worker's parent may not have waited for it yet (a zombie).
class KilledWorkerTest : public ::testing::TestWithParam<bool> {};

TEST_P(KilledWorkerTest, RecordOfAKilledProcessIsIgnoredAndRemoved) {
  const bool reap_first = GetParam();
  TempDir dir;
  auto a = Open(dir.path());
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A worker process: registers, says so, and waits to be killed (no cleanup runs).
    auto d = Open(dir.path());
    bool ok = d != nullptr && d->Register(MakeInstance(42)).ok();
    char c = ok ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    while (true) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  ASSERT_TRUE(recorder.WaitForIds({42}));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  if (reap_first) {
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  }
  ASSERT_TRUE(recorder.WaitForIds({}));
  if (!reap_first) {
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  }
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 42)));
  ::close(ready[0]);
  ::close(ready[1]);
}

INSTANTIATE_TEST_SUITE_P(ReapedOrZombie, KilledWorkerTest, ::testing::Bool());

TEST(FileDiscoveryTest, RecordWithADeadPidIsStale) {
  TempDir dir;
  auto a = Open(dir.path());
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  discovery_internal::RecordDir records(dir.path(), std::chrono::seconds(10));
  Instance dead = MakeInstance(9);
  FillProcessIdentity(dead);
  dead.pid = child;
  ASSERT_TRUE(records.Write(dead).ok());
  Instance other_host = MakeInstance(10);
  other_host.pid = child;  // not checked: the pid is not of this host
  other_host.hostname = "another-host";
  ASSERT_TRUE(records.Write(other_host).ok());
  LogCapture logs;
  EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{10}));
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 9)));
  ASSERT_TRUE(logs.WaitForCount("removed stale instance record", 1));
}

TEST(FileDiscoveryTest, RecordWithAnOldHeartbeatIsStale) {
  TempDir dir;
  auto a = Open(dir.path());
  discovery_internal::RecordDir records(dir.path(), std::chrono::seconds(10));
  Instance old = MakeInstance(8);
  FillProcessIdentity(old);  // this process: alive, but its heartbeat stopped
  ASSERT_TRUE(records.Write(old).ok());
  EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{8}));
  SetMtime(RecordPath(dir.path(), 8), std::chrono::seconds(11));
  EXPECT_TRUE(a->List(kGenerate)->empty());
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 8)));
}

TEST(FileDiscoveryTest, HeartbeatKeepsRecordsFreshAndACrashedObjectGoesStale) {
  TempDir dir;
  const auto ttl = std::chrono::milliseconds(600);
  auto worker = Open(dir.path(), ttl, std::chrono::milliseconds(50));
  auto watcher = Open(dir.path(), ttl, std::chrono::milliseconds(50));
  WatchRecorder recorder;
  auto handle = watcher->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(worker->Register(MakeInstance(1)).ok());
  ASSERT_TRUE(recorder.WaitForIds({1}));
  // Alive for three TTLs: the heartbeat keeps it.
  auto until = std::chrono::steady_clock::now() + 3 * ttl;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(Ids(*watcher->List(kGenerate)), (std::vector<uint64_t>{1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  worker->SimulateCrashForTesting();
  ASSERT_TRUE(recorder.WaitForIds({}));
  worker.reset();
}

TEST(FileDiscoveryTest, HeartbeatRewritesARecordRemovedByAnother) {
  TempDir dir;
  auto a = Open(dir.path(), std::chrono::seconds(10), std::chrono::milliseconds(20));
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  ASSERT_EQ(::unlink(RecordPath(dir.path(), 1).c_str()), 0);
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(RecordPath(dir.path(), 1)); }));
  ASSERT_TRUE(a->Deregister(1).ok());
  EXPECT_FALSE(std::filesystem::exists(RecordPath(dir.path(), 1)));
}

TEST(FileDiscoveryTest, MalformedFilesAreSkippedWithOneWarningEach) {
  TempDir dir;
  auto a = Open(dir.path());
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  std::string garbage = RecordPath(dir.path(), 2);
  std::ofstream(garbage) << "{\"namespace\":";
  std::ofstream(RecordPath(dir.path(), 3)) << MakeInstance(4).ToJson();  // wrong file name
  std::ofstream(dir.path() + "/dynamo/backend/generate/notes.txt") << "ignored";
  LogCapture logs;
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{1}));
  ASSERT_TRUE(recorder.WaitForIds({1}));
  EXPECT_EQ(logs.Count(kMalformed), 2u);
  // A changed file is judged again (replaced whole, so that no reader sees it half-written).
  std::ofstream(dir.path() + "/replacement") << "[]";
  ASSERT_EQ(::rename((dir.path() + "/replacement").c_str(), garbage.c_str()), 0);
  ASSERT_TRUE(logs.WaitForCount(kMalformed, 3));
  EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(logs.Count(kMalformed), 3u);
  EXPECT_TRUE(std::filesystem::exists(garbage));  // left alone: it is not ours to judge stale
}

TEST(FileDiscoveryTest, ReadersNeverSeeAPartialRecord) {
  TempDir dir;
  discovery_internal::RecordDir records(dir.path(), std::chrono::seconds(10));
  Instance inst = MakeInstance(1);
  FillProcessIdentity(inst);
  ASSERT_TRUE(records.Write(inst).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      Instance v = inst;
      v.model->name = std::string(i % 2 == 0 ? 60000 : 10, 'a' + i % 26);  // several writes
      ASSERT_TRUE(records.Write(v).ok());
    }
  });
  int reads = 0;
  int failures = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < until || reads < 200) {
    std::string text = ReadFile(RecordPath(dir.path(), 1));
    if (!Instance::FromJson(text).ok()) ++failures;
    ++reads;
  }
  stop.store(true);
  writer.join();
  EXPECT_EQ(failures, 0) << "of " << reads << " reads";
  // No temp file is left behind.
  size_t files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir.path() + "/dynamo/backend/generate")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(FileDiscoveryTest, OldTempFilesOfDeadWritersAreRemoved) {
  TempDir dir;
  auto a = Open(dir.path());
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  std::string temp = dir.path() + "/dynamo/backend/generate/.2.json.99.1.tmp";
  std::ofstream(temp) << "{\"nam";
  EXPECT_EQ(a->List(kGenerate)->size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(temp));  // young: maybe a writer at work
  SetMtime(temp, std::chrono::seconds(60));
  EXPECT_EQ(a->List(kGenerate)->size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(temp));
}

TEST(FileDiscoveryTest, CreateChecksTheDirectory) {
  TempDir dir;
  std::string file = dir.path() + "/plain";
  std::ofstream(file) << "x";
  FileDiscoveryOptions options;
  options.dir = file;
  EXPECT_FALSE(FileDiscovery::Create(options).ok());
  options.dir = "relative";
  EXPECT_FALSE(FileDiscovery::Create(options).ok());
  options.dir = dir.path() + "/new/nested";
  ASSERT_TRUE(FileDiscovery::Create(options).ok());
  struct stat st {};
  ASSERT_EQ(::stat(options.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(FileDiscoveryTest, ConcurrentRegistrationsFromManyObjects) {
  TempDir dir;
  auto watcher = Open(dir.path());
  WatchRecorder recorder;
  auto handle = watcher->Watch(kGenerate, recorder.Callback());
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<FileDiscovery>> workers(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      workers[t] = Open(dir.path());
      for (uint64_t i = 1; i <= 20; ++i)
        ASSERT_TRUE(workers[t]->Register(MakeInstance(t * 100 + i)).ok());
      for (uint64_t i = 1; i <= 20; i += 2) ASSERT_TRUE(workers[t]->Deregister(t * 100 + i).ok());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> expected;
  for (int t = 0; t < 4; ++t) {
    for (uint64_t i = 2; i <= 20; i += 2) expected.push_back(t * 100 + i);
  }
  ASSERT_TRUE(recorder.WaitForIds(expected));
}

}  // namespace
}  // namespace dynobs::runtime
