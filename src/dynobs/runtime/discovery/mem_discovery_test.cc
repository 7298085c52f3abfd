#include "dynobs/runtime/discovery/mem_discovery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "dynobs/runtime/discovery/testing/discovery_testing.h"

namespace dynobs::runtime {
namespace {

using testing::Ids;
using testing::MakeInstance;
using testing::WatchRecorder;

const EndpointPath kGenerate{"dynamo", "backend", "generate"};

TEST(MemDiscoveryTest, ObjectsSharingAStoreSeeEachOther) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery a(store);
  MemDiscovery b(store);
  ASSERT_TRUE(a.Register(MakeInstance(2)).ok());
  ASSERT_TRUE(b.Register(MakeInstance(1)).ok());
  ASSERT_TRUE(b.Register(MakeInstance(3, "other")).ok());
  auto listed = a.List(kGenerate);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(Ids(*listed), (std::vector<uint64_t>{1, 2}));
  EXPECT_GT((*listed)[0].pid, 0);  // filled in by Register
  EXPECT_EQ((*listed)[0].model, MakeInstance(1).model);
}

TEST(MemDiscoveryTest, RegisterAndDeregisterErrors) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery a(store);
  MemDiscovery b(store);
  ASSERT_TRUE(a.Register(MakeInstance(1)).ok());
  EXPECT_EQ(a.Register(MakeInstance(1)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(b.Register(MakeInstance(1)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(b.Deregister(1).code(), StatusCode::kNotFound);
  EXPECT_EQ(a.Register(MakeInstance(0)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.List({"dynamo", "a/b", "c"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Watch({"", "b", "c"}, [](const auto&) {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(a.Deregister(1).ok());
  EXPECT_TRUE(a.List(kGenerate)->empty());
}

TEST(MemDiscoveryTest, DestructionRemovesOwnInstancesOnly) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery a(store);
  ASSERT_TRUE(a.Register(MakeInstance(1)).ok());
  {
    MemDiscovery b(store);
    ASSERT_TRUE(b.Register(MakeInstance(2)).ok());
    EXPECT_EQ(a.List(kGenerate)->size(), 2u);
  }
  EXPECT_EQ(Ids(*a.List(kGenerate)), (std::vector<uint64_t>{1}));
}

TEST(MemDiscoveryTest, WatchGetsInitialSetThenChanges) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery a(store);
  MemDiscovery b(store);
  WatchRecorder recorder;
  auto handle = a.Watch(kGenerate, recorder.Callback());
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(recorder.WaitForIds({}));
  ASSERT_TRUE(b.Register(MakeInstance(5)).ok());
  ASSERT_TRUE(recorder.WaitForIds({5}));
  ASSERT_TRUE(b.Register(MakeInstance(6, "other")).ok());  // another endpoint: no call
  ASSERT_TRUE(b.Register(MakeInstance(4)).ok());
  ASSERT_TRUE(recorder.WaitForIds({4, 5}));
  ASSERT_TRUE(b.Deregister(5).ok());
  ASSERT_TRUE(recorder.WaitForIds({4}));
  for (const auto& set : recorder.History()) {
    for (uint64_t id : set) EXPECT_NE(id, 6u);
  }
  handle->reset();
  size_t calls = recorder.calls();
  ASSERT_TRUE(b.Register(MakeInstance(7)).ok());
  // A second watch sees the change; by then the first one would have been called too.
  WatchRecorder second;
  auto second_handle = a.Watch(kGenerate, second.Callback());
  ASSERT_TRUE(second.WaitForIds({4, 7}));
  EXPECT_EQ(recorder.calls(), calls);
}

TEST(MemDiscoveryTest, HandleMayBeDestroyedInsideItsCallback) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery a(store);
  std::unique_ptr<WatchHandle> handle;
  std::mutex mu;
  std::atomic<int> calls{0};
  {
    std::lock_guard lock(mu);
    handle = *a.Watch(kGenerate, [&](const std::vector<Instance>&) {
      std::lock_guard inner(mu);
      ++calls;
      handle.reset();
    });
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return calls.load() == 1; }));
  ASSERT_TRUE(a.Register(MakeInstance(1)).ok());
  WatchRecorder after;
  auto other = a.Watch(kGenerate, after.Callback());
  ASSERT_TRUE(after.WaitForIds({1}));
  EXPECT_EQ(calls.load(), 1);
}

TEST(MemDiscoveryTest, HandleMayOutliveTheStore) {
  std::unique_ptr<WatchHandle> handle;
  {
    auto store = std::make_shared<MemStore>();
    MemDiscovery a(store);
    handle = *a.Watch(kGenerate, [](const std::vector<Instance>&) {});
  }
  handle.reset();
}

TEST(MemDiscoveryTest, CreateDiscoveryShareTheProcessStore) {
  DiscoveryConfig config;
  config.backend = DiscoveryConfig::Backend::kMem;
  auto a = CreateDiscovery(config);
  auto b = CreateDiscovery(config);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Register(MakeInstance(11)).ok());
  EXPECT_EQ(Ids(*(*b)->List(kGenerate)), (std::vector<uint64_t>{11}));
}

TEST(MemDiscoveryTest, ConcurrentRegistrationsEndInOneConsistentSet) {
  auto store = std::make_shared<MemStore>();
  MemDiscovery watcher(store);
  WatchRecorder recorder;
  auto handle = watcher.Watch(kGenerate, recorder.Callback());
  std::vector<std::unique_ptr<MemDiscovery>> workers;
  for (int t = 0; t < 4; ++t) workers.push_back(std::make_unique<MemDiscovery>(store));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 1; i <= 50; ++i) {
        uint64_t id = t * 1000 + i;
        ASSERT_TRUE(workers[t]->Register(MakeInstance(id)).ok());
        if (i % 2 == 0) {
          ASSERT_TRUE(workers[t]->Deregister(id).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> expected;
  for (int t = 0; t < 4; ++t) {
    for (uint64_t i = 1; i <= 50; i += 2) expected.push_back(t * 1000 + i);
  }
  ASSERT_TRUE(recorder.WaitForIds(expected));
  EXPECT_EQ(Ids(*watcher.List(kGenerate)), expected);
}

}  // namespace
}  // namespace dynobs::runtime
