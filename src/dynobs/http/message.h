#pragma once

#include <functional>
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

// What a handler answers. The server owns framing: it writes Content-Length and Connection and
// drops those (and Transfer-Encoding) from `headers`, as well as any header whose name or value
// holds CR, LF or NUL, or that is 60 KiB or longer. A status outside 200..599 is sent as 500;
// 204 and 304 go without a body.
struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;

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
