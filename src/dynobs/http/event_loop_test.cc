#include "dynobs/http/event_loop.h"

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "dynobs/http/internal/server_test_util.h"

namespace dynobs::http {
namespace {

TEST(EventLoopTest, PostRunsOnLoopThreads) {
  EventLoop loop(3);
  EXPECT_EQ(loop.threads(), 3);
  EXPECT_FALSE(loop.running());
  std::promise<bool> in_loop;
  loop.Post([&] { in_loop.set_value(loop.InLoopThread()); });  // queued until Start()
  loop.Start();
  loop.Start();
  EXPECT_TRUE(loop.running());
  EXPECT_TRUE(in_loop.get_future().get());
  EXPECT_FALSE(loop.InLoopThread());
}

TEST(EventLoopTest, RunsPostsConcurrentlyAndStopsIdempotently) {
  EventLoop loop(4);
  loop.Start();
  std::atomic<int> done{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 1000; ++i) {
    loop.Post([&] {
      {
        std::lock_guard lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      ++done;
    });
  }
  EXPECT_TRUE(internal::WaitFor([&] { return done == 1000; }));
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  loop.Stop();
  loop.Stop();
  EXPECT_FALSE(loop.running());
}

TEST(EventLoopTest, RestartsAfterStop) {
  EventLoop loop(1);
  loop.Start();
  loop.Stop();
  loop.Start();
  std::promise<void> ran;
  loop.Post([&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
}  // namespace dynobs::http
