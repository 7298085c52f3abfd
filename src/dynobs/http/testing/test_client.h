#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/http/message.h"

namespace dynobs::http::testing {

// A response as a test client read it off the wire.
struct RawResponse {
  std::string status_line;  // "HTTP/1.1 200 OK"
  int status = 0;
  std::vector<Header> headers;
  std::string body;                 // de-chunked for a chunked response
  std::vector<std::string> chunks;  // a chunked response's chunks, as sent

  // Case-insensitive; "" when absent.
  [[nodiscard]] std::string_view HeaderValue(std::string_view name) const;
};

// Test helpers for tests of anything that serves HTTP (library dynobs::http_testing).

// A blocking client on a raw POSIX socket to 127.0.0.1, for tests: it sends bytes exactly as
// given (malformed ones included) and reads with a deadline, never an unbounded wait.
// Not thread-safe; one per thread.
class TestClient {
 public:
  static constexpr std::chrono::milliseconds kTimeout{5000};

  explicit TestClient(uint16_t port);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // False when connect() failed (for example, connection refused).
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view bytes);
  // Reads one response: the head, then Content-Length bytes of body, or every chunk of a
  // chunked body, or (neither, as HTTP/1.0 streams) everything until the server closes; no body
  // when `with_body` is false, as for HEAD. nullopt when the connection ends or the deadline
  // passes first.
  std::optional<RawResponse> Read(std::chrono::milliseconds timeout = kTimeout,
                                  bool with_body = true);
  // After Read(.., false) of a chunked response: the next chunk's data; "" for the last chunk.
  std::optional<std::string> ReadChunk(std::chrono::milliseconds timeout = kTimeout);
  // Reads until the server closes the connection (EOF or reset); false if the deadline passes.
  bool WaitClosed(std::chrono::milliseconds timeout = kTimeout);
  void Close();

 private:
  // Reads what is available into buffer_, waiting until `deadline`; false on EOF, error or
  // timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// "GET `target`" on a fresh connection.
std::optional<RawResponse> Get(uint16_t port, std::string_view target);

// Polls `condition` until it holds or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = TestClient::kTimeout);

}  // namespace dynobs::http::testing
