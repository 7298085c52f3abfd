#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/message.h"

namespace dynobs::http {

// Where to listen, and the limits that bound what one client can make the server hold.
// Whatever goes over a limit is answered (when the client can still read it) and closed.
struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;                    // 0: the kernel picks; Server::port() tells which
  size_t max_header_bytes = 16 * 1024;  // request line and headers; over: 431
  size_t max_body_bytes = 1024 * 1024;  // after de-chunking; over: 413
  // For the whole head; counted from accept for a connection's first request, from the first
  // byte for later ones. Over: 408.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};   // for the whole body; over: 408
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait; over: closed silently
  std::chrono::milliseconds write_timeout{30000};  // for the whole response; over: closed
  size_t max_connections = 1024;                   // over: a new connection is closed at once
  // A streamed body's bytes waiting for a slow client; over: BodyWriter::Write returns false and
  // the connection closes.
  size_t max_stream_pending_bytes = size_t{8} << 20;
};

// An HTTP/1.1 (and 1.0) server on an EventLoop. Each connection is a coroutine on the loop that
// reads a request, passes it to the handler, waits for the Responder (which any thread may call)
// and writes the response; pipelined requests are answered in order, one at a time. Malformed or
// oversized input gets 400, 408, 413, 431 or 501 and the connection is closed.
//
// Thread safety: all members may be called from any thread but the loop's own. The handler runs
// on the loop's threads, concurrently for different connections.
// Lifetime: `loop` must outlive the server; connections are served while it runs.
class Server {
 public:
  Server(EventLoop& loop, ServerOptions options, Handler handler);
  // Stop(). Throws only what the system throws (std::system_error, std::bad_alloc): terminates.
  ~Server();  // NOLINT(bugprone-exception-escape)

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Resolves, binds and listens, then accepts on the loop. On failure the message names the
  // address: "cannot bind 0.0.0.0:80: Permission denied". After a success, FailedPrecondition.
  [[nodiscard]] Status Start();

  // The bound port, once started.
  [[nodiscard]] uint16_t port() const;

  // Graceful stop: closes the listener, closes idle connections at once, lets requests in flight
  // be answered (with `Connection: close`) for up to `grace`, then closes every connection; a
  // Responder called after that does nothing. Blocks until every connection is gone. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  // Connections open now.
  [[nodiscard]] size_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dynobs::http
