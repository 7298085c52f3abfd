#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dynobs::app {

// One request as the client saw it.
struct BenchSample {
  int id = 0;  // the request's number, 0 .. requests - 1
  bool ok = false;
  uint32_t tokens = 0;  // streamed: events that carried text; unary: usage.completion_tokens
  double ttft_ms = 0;   // send to first text event (unary: to the whole answer)
  std::vector<double> itl_ms;
};

struct BenchClientOptions {
  std::string host = "127.0.0.1";  // IPv4
  int port = 8000;
  int connections = 1;  // keep-alive connections, each with one request in flight
  int requests = 1;     // in all, shared with other clients through `next`
  bool stream = true;
  std::chrono::milliseconds timeout{30000};   // a request silent this long fails
  std::function<std::string(int n)> request;  // the bytes of request number n
};

// A closed-loop HTTP/1.1 load client on one thread: `connections` non-blocking sockets on one
// epoll set, each sending its next request as soon as the previous answer is complete. Parses
// the status line, Content-Length or chunked bodies, and the server-sent events of a stream,
// timing every event that carries text. Requests are numbered from the shared `next` counter
// (so that several clients on several threads share one workload); `done` counts finished ones.
// A failed request (connection refused or closed, a status other than 200, a timeout) is
// recorded as not ok and its connection is opened again for the next one.
//
// One thread, with no thread of its own per connection: a server's write to it rarely has to
// wake anyone, so that the load tool costs the machine under test as little as possible.
[[nodiscard]] std::vector<BenchSample> RunBenchClient(const BenchClientOptions& options,
                                                      std::atomic<int>& next,
                                                      std::atomic<int>& done);

// Whether an SSE event carries new text: a chat delta or a completion chunk with non-empty text.
[[nodiscard]] bool CarriesText(std::string_view event);

}  // namespace dynobs::app
