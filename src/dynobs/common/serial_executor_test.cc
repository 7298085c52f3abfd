#include "dynobs/common/serial_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace dynobs {
namespace {

TEST(SerialExecutorTest, RunsTasksInOrderOnOneThread) {
  std::vector<int> order;
  std::promise<void> done;
  {
    SerialExecutor ex("test", 100);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(ex.TryPost([&order, i] { order.push_back(i); }));
    ASSERT_TRUE(ex.TryPost([&] { done.set_value(); }));
    done.get_future().wait();
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(SerialExecutorTest, RefusesWhenTheQueueIsFull) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  SerialExecutor ex("test", 2);
  ASSERT_TRUE(ex.TryPost([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the first task is running, the queue is empty
  EXPECT_TRUE(ex.TryPost([] {}));
  EXPECT_TRUE(ex.TryPost([] {}));
  EXPECT_FALSE(ex.TryPost([] {}));
  release.set_value();
}

TEST(SerialExecutorTest, DestructorRunsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    SerialExecutor ex("test", 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(ex.TryPost([&] { ran++; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace dynobs
