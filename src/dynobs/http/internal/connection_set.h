#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace dynobs::http::internal {

// One client connection, as the server that stops it sees it. Both calls are safe from any thread
// and return at once; the work happens on the connection's strand.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection if it waits for a request; otherwise it answers the request in progress
  // with `Connection: close` and then closes.
  virtual void Drain() = 0;
  // Closes the connection now, dropping any request in progress.
  virtual void Abort() = 0;
};

// The live connections of one server, so that it can count, drain and wait for them.
// Thread-safe. A connection adds itself once built and removes itself in its destructor.
class ConnectionSet {
 public:
  // False once DrainAll() has been called: the caller must close the connection.
  [[nodiscard]] bool Add(const std::shared_ptr<Connection>& connection);
  void Remove(const Connection* connection);
  [[nodiscard]] size_t size() const;

  // Refuses further Add()s and drains every connection.
  void DrainAll();
  void AbortAll();
  // Waits until no connection is left or `deadline` passes; true when none is left.
  bool WaitEmpty(std::chrono::steady_clock::time_point deadline);
  void WaitEmpty();

 private:
  using Map = std::unordered_map<const Connection*, std::weak_ptr<Connection>>;

  // Connections alive now. Called under no lock: the last reference may run a destructor that
  // calls Remove().
  [[nodiscard]] std::vector<std::shared_ptr<Connection>> Snapshot() const;

  mutable std::mutex mu_;
  std::condition_variable empty_;
  Map live_;
  bool draining_ = false;
};

}  // namespace dynobs::http::internal
