#include "dynobs/llm/router/router_queue.h"

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dynobs::llm {
namespace {

using ::testing::ElementsAre;

// Two workers with a 100-token batch budget serve "m"; threshold 0.5: busy above 50 tokens.
class RouterQueueTest : public ::testing::Test {
 protected:
  std::vector<RouterQueue::Worker> workers_ = {{1, 100}, {2, 100}};
  int64_t gauge_requests_ = -1;
  int64_t gauge_isl_ = -1;
  std::vector<int> sent_;
  RouterQueue queue_{0.5,
                     [this](const std::string& model) {
                       return model == "m" ? workers_ : std::vector<RouterQueue::Worker>{};
                     },
                     [this](int64_t requests, int64_t isl) {
                       gauge_requests_ = requests;
                       gauge_isl_ = isl;
                     }};

  // A request that, once dispatched, puts `tokens` of prefill on `worker`.
  RouterQueue::Dispatch Request(int id, uint64_t worker, uint64_t tokens) {
    return [this, id, worker, tokens] {
      sent_.push_back(id);
      queue_.AddPrefill(worker, tokens);
    };
  }
};

TEST_F(RouterQueueTest, GoesAtOnceWhileAWorkerHasRoom) {
  EXPECT_EQ(gauge_requests_, 0);  // the series exist from the start
  queue_.Submit("m", 60, Request(1, 1, 60));
  queue_.Submit("m", 50, Request(2, 2, 50));  // worker 1 busy, worker 2 at 0
  EXPECT_THAT(sent_, ElementsAre(1, 2));
  EXPECT_EQ(queue_.pending(), 0u);
  EXPECT_EQ(queue_.prefill_tokens(1), 60u);
}

TEST_F(RouterQueueTest, WaitsWhileEveryWorkerIsBusyThenGoesInOrder) {
  queue_.Submit("m", 60, Request(1, 1, 60));
  queue_.Submit("m", 60, Request(2, 2, 60));
  queue_.Submit("m", 60, Request(3, 1, 60));
  queue_.Submit("m", 40, Request(4, 2, 40));
  EXPECT_THAT(sent_, ElementsAre(1, 2));
  EXPECT_EQ(gauge_requests_, 2);
  EXPECT_EQ(gauge_isl_, 100);
  queue_.Release(1, 60);  // worker 1 prefilled: request 3 goes there and fills it; 4 waits
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3));
  EXPECT_EQ(gauge_requests_, 1);
  EXPECT_EQ(gauge_isl_, 40);
  queue_.Release(2, 60);
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(gauge_requests_, 0);
  EXPECT_EQ(gauge_isl_, 0);
}

TEST_F(RouterQueueTest, ALaterRequestDoesNotOvertakeAWaitingOne) {
  queue_.Submit("m", 60, Request(1, 1, 60));
  queue_.Submit("m", 60, Request(2, 2, 60));
  queue_.Submit("m", 10, Request(3, 1, 10));  // waits
  queue_.Release(2, 20);                      // worker 2 at 40: room, but nobody pumps...
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3));   // ...Release does: 3 goes
  queue_.Submit("m", 60, Request(4, 2, 60));  // worker 1 still busy; worker 2 has room
  queue_.Submit("m", 60, Request(5, 2, 60));  // now both busy: waits
  queue_.Submit("m", 1, Request(6, 1, 1));    // waits behind 5
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3, 4));
  queue_.Release(1, 70);
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3, 4, 5, 6));  // in order
}

TEST_F(RouterQueueTest, AModelNobodyServesIsNotHeld) {
  queue_.Submit("m", 60, Request(1, 1, 60));
  queue_.Submit("m", 60, Request(2, 2, 60));
  queue_.Submit("other", 5, Request(3, 9, 0));  // routing will answer "no worker" at once
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3));
}

TEST_F(RouterQueueTest, ANewWorkerTakesWaitingRequestsOnPump) {
  queue_.Submit("m", 60, Request(1, 1, 60));
  queue_.Submit("m", 60, Request(2, 2, 60));
  queue_.Submit("m", 60, Request(3, 3, 60));
  EXPECT_THAT(sent_, ElementsAre(1, 2));
  workers_.push_back({3, 100});
  queue_.Pump();
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3));
}

TEST_F(RouterQueueTest, UnknownBudgetCountsAsDynamosDefault) {
  workers_ = {{1, 0}};  // 0.5 * 8192 = 4096
  queue_.Submit("m", 4096, Request(1, 1, 4096));
  queue_.Submit("m", 1, Request(2, 1, 1));  // 4096 is not above 4096: still room
  queue_.Submit("m", 1, Request(3, 1, 1));  // 4097: busy
  EXPECT_THAT(sent_, ElementsAre(1, 2));
  queue_.Release(1, 1000);
  EXPECT_THAT(sent_, ElementsAre(1, 2, 3));
}

TEST_F(RouterQueueTest, ThresholdZeroQueuesBehindAnyPrefill) {
  RouterQueue q(
      0.0,
      [](const std::string&) {
        return std::vector<RouterQueue::Worker>{{1, 100}};
      },
      [](int64_t, int64_t) {});
  int sent = 0;
  auto request = [&] {
    ++sent;
    q.AddPrefill(1, 10);
  };
  q.Submit("m", 10, request);
  q.Submit("m", 10, request);
  EXPECT_EQ(sent, 1);
  q.Release(1, 10);
  EXPECT_EQ(sent, 2);
}

TEST_F(RouterQueueTest, ConcurrentSubmitsAndReleasesLoseNothing) {
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const uint64_t worker = 1 + (i + t) % 2;
        queue_.Submit("m", 40, [&, worker] {
          queue_.AddPrefill(worker, 40);
          done.fetch_add(1);
          queue_.Release(worker, 40);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), 2000);
  EXPECT_EQ(queue_.pending(), 0u);
  EXPECT_EQ(queue_.prefill_tokens(1) + queue_.prefill_tokens(2), 0u);
}

}  // namespace
}  // namespace dynobs::llm
