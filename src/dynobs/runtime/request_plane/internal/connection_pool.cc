#include "dynobs/runtime/request_plane/internal/connection_pool.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/strand.hpp>

#include "dynobs/common/clock.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

constexpr size_t kClientReadBufferBytes = size_t{64} << 10;

// Open, with nothing unread: a closed peer shows as EOF, a reset as an error, and bytes a
// worker sent outside a stream as data; none of these connections can carry a new stream.
bool StillOpen(boost::asio::ip::tcp::socket& socket) {
  char byte = 0;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void CloseQuietly(ClientConnection& connection) {
  boost::system::error_code ec;
  connection.socket.close(ec);
}

}  // namespace

ClientConnection::ClientConnection(boost::asio::io_context& io, std::string address,
                                   size_t max_frame_bytes)
    : address(std::move(address)),
      strand(boost::asio::make_strand(io)),
      socket(strand),
      reader(max_frame_bytes, kClientReadBufferBytes) {}

ConnectionPool::ConnectionPool(boost::asio::io_context& io, Limits limits)
    : io_(io), limits_(limits) {}

ConnectionPool::~ConnectionPool() { CloseIdle(); }

void ConnectionPool::CloseIdle() {
  std::lock_guard lock(mu_);
  for (auto& [address, per] : by_address_) {
    for (auto& connection : per.idle) CloseQuietly(*connection);
    per.open -= per.idle.size();
    per.idle.clear();
  }
}

StatusOr<std::shared_ptr<ClientConnection>> ConnectionPool::Acquire(std::string_view address) {
  const int64_t now = MonotonicNanos();
  std::lock_guard lock(mu_);
  auto it = by_address_.find(address);
  if (it == by_address_.end()) it = by_address_.emplace(std::string(address), PerAddress{}).first;
  PerAddress& per = it->second;
  while (!per.idle.empty()) {
    std::shared_ptr<ClientConnection> connection = std::move(per.idle.back());
    per.idle.pop_back();
    if (now - connection->idle_since_mono_nanos < limits_.idle_timeout_nanos &&
        StillOpen(connection->socket)) {
      return connection;
    }
    CloseQuietly(*connection);
    --per.open;
  }
  if (per.open >= limits_.max_per_address) {
    return ResourceExhaustedError(
        fmt::format("{} connections open to {} (max_connections_per_address)", per.open, address));
  }
  ++per.open;
  return std::make_shared<ClientConnection>(io_, std::string(address), limits_.max_frame_bytes);
}

void ConnectionPool::Release(std::shared_ptr<ClientConnection> connection, bool reusable) {
  std::lock_guard lock(mu_);
  auto it = by_address_.find(connection->address);
  if (it == by_address_.end()) {  // not from this pool
    CloseQuietly(*connection);
    return;
  }
  PerAddress& per = it->second;
  if (reusable && connection->connected && connection->socket.is_open() &&
      connection->reader.buffered() == 0 && per.idle.size() < limits_.max_idle_per_address) {
    connection->idle_since_mono_nanos = MonotonicNanos();
    per.idle.push_back(std::move(connection));
    return;
  }
  CloseQuietly(*connection);
  --per.open;
}

size_t ConnectionPool::idle() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [address, per] : by_address_) n += per.idle.size();
  return n;
}

}  // namespace dynobs::runtime::request_plane_internal
