#pragma once

#include <functional>
#include <memory>

namespace dynobs::http {

namespace internal {
struct EventLoopAccess;
}  // namespace internal

// The process's one io_context, run by a fixed number of threads (DESIGN.md, Threads). Network
// I/O, timers and coroutines of every layer run on it; nothing run on it may block.
//
// Thread safety: every member may be called from any thread, except that Stop() and the
// destructor must not be called from one of the loop's own threads (they join them).
// Lifetime: outlives every Server, socket and Responder that uses it.
class EventLoop {
 public:
  explicit EventLoop(int threads);  // threads >= 1
  ~EventLoop();                     // Stop()

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the threads. Idempotent while running; after Stop(), starts them again.
  void Start();
  // Stops the io_context and joins the threads. Work still queued stays queued (and is destroyed
  // with the loop) unless Start() is called again. Idempotent.
  void Stop();
  // Runs `fn` on one of the loop's threads. Before Start(), `fn` waits for it. An exception
  // escaping `fn` terminates the process.
  void Post(std::function<void()> fn);

  [[nodiscard]] int threads() const { return threads_; }
  // True between Start() and Stop().
  [[nodiscard]] bool running() const;
  // True when called from one of the loop's threads.
  [[nodiscard]] bool InLoopThread() const;

 private:
  friend struct internal::EventLoopAccess;
  struct Impl;

  const int threads_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynobs::http
