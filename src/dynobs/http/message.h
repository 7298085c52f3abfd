#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::http {

// One header field as it appears on the wire. Names compare case-insensitively.
struct Header {
  std::string name;
  std::string value;
};

// A parsed request, owned by the handler that receives it.
struct Request {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive)
  std::string target;  // raw request-target, e.g. "/metrics?x=1"
  std::string path;    // target up to the first '?', not percent-decoded
  std::vector<Header> headers;
  std::string body;            // de-chunked; at most ServerOptions::max_body_bytes
  std::string remote_address;  // "127.0.0.1:54321" or "[::1]:54321"

  // The value of the first header called `name` (case-insensitive); "" when absent.
  [[nodiscard]] std::string_view HeaderValue(std::string_view name) const;
};

// The body of a streamed response (server-sent events, for instance), written by the handler as
// it produces it. The server has sent the status and headers when the handler gets it; each
// Write goes out as one chunk (`Transfer-Encoding: chunked`; HTTP/1.0: raw, then the connection
// closes), End() sends the last chunk.
//
// Thread safety: every method may be called from any thread. Write never blocks.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Queues `data` (empty data is ignored). False when the body can take no more: the client has
  // gone, End() was called, or more than ServerOptions::max_stream_pending_bytes are waiting for
  // a slow client (the connection is then closed). Stop producing when it returns false.
  virtual bool Write(std::string data) = 0;
  // Ends the body. Idempotent. Dropping the last reference to the writer ends it too.
  virtual void End() = 0;
  // Runs `callback` once if the client disconnects (or the connection is closed) before the body
  // ended, at once on this thread if that has happened. Keep it short: it runs on an io thread.
  virtual void OnClose(std::function<void()> callback) = 0;
  [[nodiscard]] virtual bool closed() const = 0;
};

// What a handler answers. The server owns framing: it writes Content-Length and Connection and
// drops those (and Transfer-Encoding) from `headers`, as well as any header whose name or value
// holds CR, LF or NUL, or that is 60 KiB or longer. A status outside 200..599 is sent as 500;
// 204 and 304 go without a body.
struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // Set for a streamed body (then `body` is ignored): the server sends the head, then calls this
  // once, on an io thread, with the writer of the body. Its connection is not timed out while the
  // body streams (only each write is, by write_timeout).
  std::function<void(std::shared_ptr<BodyWriter> writer)> stream;

  [[nodiscard]] static Response Text(int status, std::string body,
                                     std::string_view content_type = "text/plain; charset=utf-8");
  [[nodiscard]] static Response Json(int status, std::string body);
};

// Sends the response for one request. Call it once, from any thread; later calls are ignored.
// Dropping every copy without calling it answers 500. Calling it after the server has stopped is
// harmless, but it must not outlive the EventLoop.
using Responder = std::function<void(Response)>;

// Serves one request. Runs on an io thread: it must not block. Slow work goes elsewhere (another
// thread, a coroutine) and calls `respond` when done. An exception escaping it answers 500.
using Handler = std::function<void(Request&& request, Responder respond)>;

}  // namespace dynobs::http
