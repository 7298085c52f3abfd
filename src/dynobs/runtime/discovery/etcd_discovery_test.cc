#include "dynobs/runtime/discovery/etcd_discovery.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "dynobs/common/ids.h"
#include "dynobs/runtime/discovery/internal/etcd_client.h"
#include "dynobs/runtime/discovery/internal/etcd_protocol.h"
#include "dynobs/runtime/discovery/testing/discovery_testing.h"
#include "dynobs/runtime/discovery/testing/etcd_server.h"

namespace dynobs::runtime {
namespace {

using discovery_internal::EtcdClient;
using testing::EtcdServer;
using testing::Ids;
using testing::LogCapture;
using testing::MakeInstance;
using testing::WaitUntil;
using testing::WatchRecorder;

const EndpointPath kGenerate{"dynamo", "backend", "generate"};
constexpr std::string_view kUnreachable = "etcd unreachable; keeping the last view";

class EtcdDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!EtcdServer::FindBinary()) {
      GTEST_SKIP() << "etcd is not on PATH; scripts/install-deps.sh installs etcd-server";
    }
    etcd_ = EtcdServer::Start();
    ASSERT_NE(etcd_, nullptr) << "etcd did not start";
  }

  std::unique_ptr<EtcdDiscovery> Open(std::chrono::seconds ttl = std::chrono::seconds(10),
                                      const std::vector<std::string>& endpoints = {}) {
    EtcdDiscoveryOptions options;
    options.endpoints = endpoints.empty() ? std::vector<std::string>{etcd_->url()} : endpoints;
    options.lease_ttl = ttl;
    options.request_timeout = std::chrono::milliseconds(1000);
    auto d = EtcdDiscovery::Create(options);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(*d) : nullptr;
  }

  // The raw value stored under `key`, or nullopt.
  std::optional<discovery_internal::KeyValue> Get(const std::string& key) {
    EtcdClient client({etcd_->url()}, std::chrono::milliseconds(1000));
    auto r = client.Call("/v3/kv/range", {{"key", discovery_internal::Base64Encode(key)}});
    if (!r.ok()) return std::nullopt;
    auto range = discovery_internal::ParseRange(*r);
    if (!range.ok() || range->kvs.empty()) return std::nullopt;
    return range->kvs[0];
  }

  std::unique_ptr<EtcdServer> etcd_;
};

TEST_F(EtcdDiscoveryTest, RegisterListAndWatchAcrossTwoObjects) {
  LogCapture logs;
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a->Register(MakeInstance(2)).ok());
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  ASSERT_TRUE(a->Register(MakeInstance(3, "other")).ok());
  EXPECT_EQ(a->Register(MakeInstance(1)).code(), StatusCode::kAlreadyExists);
  auto listed = b->List(kGenerate);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ((*listed)[0].model, MakeInstance(1).model);

  WatchRecorder recorder;
  auto handle = b->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(recorder.WaitForIds({1, 2}));
  ASSERT_TRUE(a->Register(MakeInstance(4)).ok());
  ASSERT_TRUE(recorder.WaitForIds({1, 2, 4}));
  ASSERT_TRUE(a->Deregister(1).ok());
  ASSERT_TRUE(recorder.WaitForIds({2, 4}));
  EXPECT_EQ(a->Deregister(1).code(), StatusCode::kNotFound);

  // A second watch on the running stream gets its first set at once.
  WatchRecorder second;
  auto second_handle = b->Watch({"dynamo", "backend", "other"}, second.Callback());
  ASSERT_TRUE(second.WaitForIds({3}));

  a.reset();  // revokes the lease: every record goes at once
  ASSERT_TRUE(recorder.WaitForIds({}, std::chrono::seconds(2)));
  ASSERT_TRUE(second.WaitForIds({}, std::chrono::seconds(2)));
  EXPECT_EQ(logs.Count(kUnreachable), 0u);
}

TEST_F(EtcdDiscoveryTest, RecordIsTheInstanceJsonUnderThePrefixWithALease) {
  auto a = Open();
  Instance inst = MakeInstance(0xbeef);
  ASSERT_TRUE(a->Register(inst).ok());
  FillProcessIdentity(inst);
  auto kv = Get("/dynobs/instances/dynamo/backend/generate/beef");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->value, inst.ToJson());
  ASSERT_TRUE(a->Deregister(0xbeef).ok());
  EXPECT_FALSE(Get("/dynobs/instances/dynamo/backend/generate/beef").has_value());
}

TEST_F(EtcdDiscoveryTest, KeepalivesHoldTheLeaseAndItExpiresWhenTheyStop) {
  auto a = Open(std::chrono::seconds(2));
  auto b = Open();
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  WatchRecorder recorder;
  auto handle = b->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(recorder.WaitForIds({1}));
  // Three TTLs: the keepalives hold it.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(Ids(*b->List(kGenerate)), (std::vector<uint64_t>{1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  a->StopKeepAlivesForTesting();  // as if the process had crashed
  ASSERT_TRUE(recorder.WaitForIds({}, std::chrono::seconds(10)));
  EXPECT_TRUE(b->List(kGenerate)->empty());
}

TEST_F(EtcdDiscoveryTest, RecordsOfAKilledProcessGoWhenItsLeaseExpires) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();  // before this process has threads of its own
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A worker process: registers, says so, and waits to be killed (no cleanup runs).
    EtcdDiscoveryOptions options;
    options.endpoints = {etcd_->url()};
    options.lease_ttl = std::chrono::seconds(2);
    auto d = EtcdDiscovery::Create(options);
    char c = d.ok() && (*d)->Register(MakeInstance(42)).ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    while (true) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::close(ready[1]);
  auto frontend = Open();
  WatchRecorder recorder;
  auto handle = frontend->Watch(kGenerate, recorder.Callback());
  EXPECT_EQ(c, 'y');
  EXPECT_TRUE(recorder.WaitForIds({42}));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  ASSERT_TRUE(recorder.WaitForIds({}, std::chrono::seconds(10)));
}

class EtcdRestartTest : public EtcdDiscoveryTest, public ::testing::WithParamInterface<bool> {};

TEST_P(EtcdRestartTest, WatchersKeepTheirViewAndRegistrationsComeBack) {
  const bool wipe = GetParam();
  LogCapture logs;
  auto worker = Open(std::chrono::seconds(3));
  auto frontend = Open();
  ASSERT_TRUE(worker->Register(MakeInstance(1)).ok());
  WatchRecorder recorder;
  auto handle = frontend->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(recorder.WaitForIds({1}));

  etcd_->Kill();
  // Both objects notice (the watch at once, the keepalive within TTL/3) and say so once each.
  ASSERT_TRUE(logs.WaitForCount(kUnreachable, 2));
  EXPECT_EQ(frontend->List(kGenerate).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(recorder.History().back(), (std::vector<uint64_t>{1}));
  size_t calls_while_down = recorder.calls();

  ASSERT_TRUE(etcd_->Restart(wipe));
  ASSERT_TRUE(logs.WaitForCount("etcd reachable again; re-registered 1 instances", 1));
  ASSERT_TRUE(logs.WaitForCount("etcd reachable again; re-registered 0 instances", 1));
  ASSERT_TRUE(WaitUntil([&] {
    auto listed = frontend->List(kGenerate);
    return listed.ok() && Ids(*listed) == std::vector<uint64_t>{1};
  }));
  ASSERT_TRUE(recorder.WaitForIds({1}));
  for (size_t i = 0; i < calls_while_down; ++i) {
    EXPECT_EQ(recorder.History()[i], (std::vector<uint64_t>{1})) << "call " << i;
  }

  // The watch delivers new changes.
  auto other_worker = Open();
  ASSERT_TRUE(other_worker->Register(MakeInstance(9)).ok());
  ASSERT_TRUE(recorder.WaitForIds({1, 9}));
  ASSERT_TRUE(worker->Deregister(1).ok());
  ASSERT_TRUE(recorder.WaitForIds({9}));
  EXPECT_EQ(logs.Count(kUnreachable), 2u);
  EXPECT_EQ(logs.Count("etcd reachable again; re-registered 1 instances"), 1u);
}

INSTANTIATE_TEST_SUITE_P(DataKeptOrWiped, EtcdRestartTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Wiped" : "Kept"; });

TEST_F(EtcdDiscoveryTest, MalformedValueIsSkippedWithOneWarning) {
  LogCapture logs;
  auto a = Open();
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  EtcdClient client({etcd_->url()}, std::chrono::milliseconds(1000));
  ASSERT_TRUE(
      client
          .Call("/v3/kv/put", discovery_internal::PutRequest(
                                  "/dynobs/instances/dynamo/backend/generate/2", "{not json", 0))
          .ok());
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(recorder.WaitForIds({1}));
  EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{1}));
  ASSERT_TRUE(a->Register(MakeInstance(3)).ok());
  ASSERT_TRUE(recorder.WaitForIds({1, 3}));
  EXPECT_EQ(logs.Count("skipping malformed instance record"), 1u);
}

TEST_F(EtcdDiscoveryTest, FailsOverToTheNextEndpoint) {
  std::string dead = fmt::format("http://127.0.0.1:{}", testing::UnusedLoopbackPort());
  auto a = Open(std::chrono::seconds(10), {dead, etcd_->url()});
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  EXPECT_EQ(Ids(*a->List(kGenerate)), (std::vector<uint64_t>{1}));
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(recorder.WaitForIds({1}));
}

TEST_F(EtcdDiscoveryTest, UnreachableEtcdIsUnavailableAndAWatchStartsWhenItAnswers) {
  auto a = Open();
  etcd_->Kill();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(a->Register(MakeInstance(1)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(a->List(kGenerate).status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  WatchRecorder recorder;
  auto handle = a->Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(etcd_->Restart(false));
  ASSERT_TRUE(recorder.WaitForIds({}));
  ASSERT_TRUE(a->Register(MakeInstance(1)).ok());
  ASSERT_TRUE(recorder.WaitForIds({1}));
}

TEST(EtcdDiscoveryOptionsTest, CreateValidatesOptions) {
  EtcdDiscoveryOptions options;
  EXPECT_FALSE(EtcdDiscovery::Create(options).ok());
  options.endpoints = {"127.0.0.1:2379"};
  EXPECT_FALSE(EtcdDiscovery::Create(options).ok());
  options.endpoints = {"http://127.0.0.1:2379"};
  options.prefix = "dynobs";
  EXPECT_FALSE(EtcdDiscovery::Create(options).ok());
  options.prefix = "/dynobs/";
  EXPECT_TRUE(EtcdDiscovery::Create(options).ok());
}

}  // namespace
}  // namespace dynobs::runtime
