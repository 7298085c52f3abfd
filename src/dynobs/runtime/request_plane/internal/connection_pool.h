#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dynobs/common/status.h"
#include "dynobs/runtime/request_plane/internal/frame_reader.h"

namespace dynobs::runtime::request_plane_internal {

// One caller-side connection: its socket on its own strand, and buffers kept between streams.
// Used by one stream at a time (on the strand); idle in the pool otherwise.
struct ClientConnection {
  ClientConnection(boost::asio::io_context& io, std::string address, size_t max_frame_bytes);

  std::string address;
  boost::asio::any_io_executor strand;
  boost::asio::ip::tcp::socket socket;
  FrameReader reader;
  std::string write_buffer;
  bool connected = false;
  int64_t idle_since_mono_nanos = 0;
};

// Idle connections per worker address, and a bound on the connections open to each address.
// Thread safety: all methods are thread-safe.
class ConnectionPool {
 public:
  struct Limits {
    size_t max_idle_per_address;
    size_t max_per_address;
    int64_t idle_timeout_nanos;
    size_t max_frame_bytes;
  };

  ConnectionPool(boost::asio::io_context& io, Limits limits);
  ~ConnectionPool();  // closes the idle connections
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The newest idle connection to `address` that is still open (a non-blocking MSG_PEEK sees
  // neither EOF nor stray bytes; expired or dead ones are closed on the way), else a new,
  // unconnected one. RESOURCE_EXHAUSTED when `address` has max_per_address open.
  StatusOr<std::shared_ptr<ClientConnection>> Acquire(std::string_view address);
  // Gives back what Acquire returned: kept idle when `reusable` and there is room, else closed.
  // The connection must have no operation pending.
  void Release(std::shared_ptr<ClientConnection> connection, bool reusable);

  void CountConnect() { connects_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t connects() const { return connects_.load(std::memory_order_relaxed); }
  [[nodiscard]] size_t idle() const;
  // Closes the idle connections (the client is going; streams in flight finish normally).
  void CloseIdle();

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct PerAddress {
    std::vector<std::shared_ptr<ClientConnection>> idle;  // oldest first
    size_t open = 0;                                      // in use + idle
  };

  boost::asio::io_context& io_;
  const Limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PerAddress, StringHash, std::equal_to<>> by_address_;
  std::atomic<uint64_t> connects_{0};
};

}  // namespace dynobs::runtime::request_plane_internal
