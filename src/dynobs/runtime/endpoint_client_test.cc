// EndpointClient: instances found through (mem) discovery, chosen round robin, at random or by
// id, and dropped at once when they leave.
#include "dynobs/runtime/endpoint_client.h"

#include <atomic>
#include <future>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "dynobs/http/event_loop.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/server.h"

namespace dynobs::runtime {
namespace {

constexpr auto kWait = std::chrono::seconds(5);

struct Result {
  std::string items;
  Status end;
};

class Waiter {
 public:
  StreamCallbacks Callbacks() {
    return {.on_item = [this](std::string item) { items_ += item; },
            .on_end =
                [this](Status end) {
                  done_.set_value(Result{items_, std::move(end)});
                }};
  }
  Result Get() {
    auto f = done_.get_future();
    if (f.wait_for(kWait) != std::future_status::ready) return {"", InternalError("timeout")};
    return f.get();
  }

 private:
  std::string items_;
  std::promise<Result> done_;
};

// A worker: a request-plane server whose `generate` answers with its own name.
struct Worker {
  Worker(http::EventLoop& loop, std::string name, uint64_t id) : server(loop, {}), id(id) {
    scope = metrics::MetricsScope::ForRuntime(id)
                ->NewNamespace("ns")
                ->NewComponent("backend")
                ->NewEndpoint("generate");
    EXPECT_TRUE(server
                    .AddEndpoint(
                        "generate",
                        [name](const IncomingRequest&, const std::shared_ptr<ResponseStream>& s) {
                          s->Send(name);
                          s->Finish();
                        },
                        *scope)
                    .ok());
    EXPECT_TRUE(server.Start().ok());
  }
  Instance Record(const std::string& ns) const {
    return Instance{
        .path = {ns, "backend", "generate"}, .instance_id = id, .address = server.address()};
  }
  RequestPlaneServer server;
  uint64_t id;
  std::shared_ptr<metrics::MetricsScope> scope;
};

class EndpointClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_.Start();
    auto d = CreateDiscovery({.backend = DiscoveryConfig::Backend::kMem});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    discovery_ = std::move(*d);
    // The mem store is process-wide: a namespace of its own per test.
    ns_ = std::string("ns-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    endpoint_.reset();
    client_.reset();
    workers_.clear();
    discovery_.reset();
    loop_.Stop();
  }
  Worker& AddWorker(const std::string& name, uint64_t id) {
    workers_.push_back(std::make_unique<Worker>(loop_, name, id));
    EXPECT_TRUE(discovery_->Register(workers_.back()->Record(ns_)).ok());
    return *workers_.back();
  }
  EndpointClient& Client() {
    if (!endpoint_) {
      client_ = std::make_unique<RequestPlaneClient>(loop_);
      auto c = EndpointClient::Create(*discovery_, *client_, {ns_, "backend", "generate"});
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      endpoint_ = std::move(*c);
    }
    return *endpoint_;
  }
  static Result Run(StatusOr<std::unique_ptr<StreamHandle>> handle, Waiter& w) {
    if (!handle.ok()) return {"", handle.status()};
    return w.Get();
  }

  http::EventLoop loop_{2};
  std::unique_ptr<Discovery> discovery_;
  std::string ns_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<RequestPlaneClient> client_;
  std::unique_ptr<EndpointClient> endpoint_;
};

TEST_F(EndpointClientTest, RoundRobinVisitsEveryInstanceInTurn) {
  AddWorker("a", 0xa1);
  AddWorker("b", 0xb2);
  EndpointClient& client = Client();
  ASSERT_TRUE(client.WaitForInstances(2, kWait));
  std::map<std::string, int> seen;
  std::string previous;
  for (int i = 0; i < 6; ++i) {
    Waiter w;
    uint64_t chosen = 0;
    Result r = Run(client.RoundRobin({}, "{}", w.Callbacks(), &chosen), w);
    ASSERT_TRUE(r.end.ok()) << r.end.ToString();
    EXPECT_EQ(chosen, r.items == "a" ? 0xa1u : 0xb2u);
    EXPECT_NE(r.items, previous);  // alternates
    previous = r.items;
    ++seen[r.items];
  }
  EXPECT_EQ(seen["a"], 3);
  EXPECT_EQ(seen["b"], 3);
}

TEST_F(EndpointClientTest, RandomReachesEveryInstance) {
  AddWorker("a", 0xa1);
  AddWorker("b", 0xb2);
  EndpointClient& client = Client();
  ASSERT_TRUE(client.WaitForInstances(2, kWait));
  std::set<std::string> seen;
  for (int i = 0; i < 64 && seen.size() < 2; ++i) {
    Waiter w;
    Result r = Run(client.Random({}, "{}", w.Callbacks()), w);
    ASSERT_TRUE(r.end.ok()) << r.end.ToString();
    seen.insert(r.items);
  }
  EXPECT_EQ(seen.size(), 2u);  // 2^-63 to fail by chance
}

TEST_F(EndpointClientTest, DirectReachesTheNamedInstanceOrSaysItIsUnknown) {
  AddWorker("a", 0xa1);
  AddWorker("b", 0xb2);
  EndpointClient& client = Client();
  ASSERT_TRUE(client.WaitForInstances(2, kWait));
  for (int i = 0; i < 3; ++i) {
    Waiter w;
    Result r = Run(client.Direct(0xb2, {}, "{}", w.Callbacks()), w);
    ASSERT_TRUE(r.end.ok());
    EXPECT_EQ(r.items, "b");
  }
  Waiter w;
  auto unknown = client.Direct(0x77, {}, "{}", w.Callbacks());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("77"), std::string::npos);
}

TEST_F(EndpointClientTest, NoInstanceIsUnavailable) {
  EndpointClient& client = Client();
  Waiter w;
  auto handle = client.RoundRobin({}, "{}", w.Callbacks());
  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(handle.status().message().find("generate"), std::string::npos);
}

TEST_F(EndpointClientTest, AnInstanceThatLeavesIsNotChosenAgain) {
  AddWorker("a", 0xa1);
  AddWorker("b", 0xb2);
  EndpointClient& client = Client();
  ASSERT_TRUE(client.WaitForInstances(2, kWait));
  std::promise<void> shrunk;
  std::atomic<bool> once{false};
  client.OnInstancesChanged([&](const std::vector<Instance>& now) {
    if (now.size() == 1 && !once.exchange(true)) shrunk.set_value();
  });
  ASSERT_TRUE(discovery_->Deregister(0xa1).ok());
  ASSERT_EQ(shrunk.get_future().wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(client.instances().size(), 1u);
  for (int i = 0; i < 4; ++i) {
    Waiter w;
    Result r = Run(client.RoundRobin({}, "{}", w.Callbacks()), w);
    ASSERT_TRUE(r.end.ok());
    EXPECT_EQ(r.items, "b");
  }
}

TEST_F(EndpointClientTest, SeesInstancesThatArriveLater) {
  EndpointClient& client = Client();
  EXPECT_FALSE(client.WaitForInstances(1, std::chrono::milliseconds(20)));
  AddWorker("late", 0x1a7e);
  ASSERT_TRUE(client.WaitForInstances(1, kWait));
  Waiter w;
  Result r = Run(client.RoundRobin({}, "{}", w.Callbacks()), w);
  ASSERT_TRUE(r.end.ok());
  EXPECT_EQ(r.items, "late");
}

TEST_F(EndpointClientTest, AnInvalidPathIsRefused) {
  RequestPlaneClient rp(loop_);
  auto c = EndpointClient::Create(*discovery_, rp, {"bad/ns", "backend", "generate"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dynobs::runtime
