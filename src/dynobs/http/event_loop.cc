#include "dynobs/http/event_loop.h"

#include <algorithm>
#include <cassert>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "dynobs/http/internal/io_context.h"

namespace dynobs::http {

namespace asio = boost::asio;

struct EventLoop::Impl {
  explicit Impl(int threads) : io(threads) {}

  asio::io_context io;
  std::mutex mu;  // guards work and workers, i.e. Start/Stop against each other
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> workers;
};

EventLoop::EventLoop(int threads)
    : threads_(std::max(threads, 1)), impl_(std::make_unique<Impl>(threads_)) {
  assert(threads >= 1);
}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Start() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->workers.empty()) return;
  impl_->io.restart();
  impl_->work.emplace(impl_->io.get_executor());
  for (int i = 0; i < threads_; ++i) {
    impl_->workers.emplace_back([io = &impl_->io] { io->run(); });
  }
}

void EventLoop::Stop() {
  assert(!InLoopThread());
  std::lock_guard lock(impl_->mu);
  impl_->work.reset();
  impl_->io.stop();
  for (std::thread& worker : impl_->workers) worker.join();
  impl_->workers.clear();
}

void EventLoop::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

bool EventLoop::running() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->workers.empty();
}

bool EventLoop::InLoopThread() const { return impl_->io.get_executor().running_in_this_thread(); }

namespace internal {

struct EventLoopAccess {
  static asio::io_context& Io(EventLoop& loop) { return loop.impl_->io; }
};

asio::io_context& IoContext(EventLoop& loop) { return EventLoopAccess::Io(loop); }

}  // namespace internal
}  // namespace dynobs::http
