#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/http/event_loop.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/internal/frame.h"
#include "dynobs/runtime/request_plane/server.h"
#include "dynobs/tracing/testing/span_fixture.h"

// Test helpers for the request plane: a fixture with an event loop, a worker server on a
// loopback port 0 and a client; a recorder for one stream's callbacks; a raw blocking socket for
// malformed input. Waits are on conditions with deadlines, never plain sleeps.
namespace dynobs::runtime::testing {

inline constexpr std::chrono::milliseconds kWait{5000};

// Polls `condition` (every 0.2 ms) until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait);

// Records what one stream's callbacks receive. Thread-safe; outlives the stream.
class StreamRecorder {
 public:
  StreamCallbacks Callbacks();
  // Items that arrive also go to `hook` (on the event loop), after they are recorded.
  void OnItem(std::function<void(const std::string&)> hook) { hook_ = std::move(hook); }
  bool WaitEnd(std::chrono::milliseconds timeout = kWait);
  bool WaitItems(size_t count, std::chrono::milliseconds timeout = kWait);
  [[nodiscard]] std::vector<std::string> items() const;
  [[nodiscard]] Status end() const;
  [[nodiscard]] int end_calls() const;
  [[nodiscard]] bool item_after_end() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> items_;
  std::optional<Status> end_;
  int end_calls_ = 0;
  bool item_after_end_ = false;
  std::function<void(const std::string&)> hook_;
};

// A blocking loopback socket for speaking (or garbling) the wire format by hand.
class RawConnection {
 public:
  // `receive_buffer` > 0: SO_RCVBUF set before connecting (a slow reader's small window).
  explicit RawConnection(uint16_t port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  bool Send(std::string_view bytes);
  // The next frame, or nullopt on EOF, error or `timeout`.
  struct Frame {
    request_plane_internal::FrameType type;
    std::string payload;
  };
  std::optional<Frame> ReadFrame(std::chrono::milliseconds timeout = kWait);
  // Reads until END; returns its decoded status (nullopt: no END).
  std::optional<Status> ReadUntilEnd(std::chrono::milliseconds timeout = kWait);
  // True when the peer closes (EOF or reset) within `timeout`, discarding what arrives.
  bool WaitClosed(std::chrono::milliseconds timeout = kWait);
  // Closes with SO_LINGER 0: the worker gets a reset.
  void Reset();
  void Close();
  void SetReceiveBuffer(int bytes);

 private:
  bool ReadExactly(char* out, size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
};

// A REQUEST frame as a client would write it.
std::string RequestFrame(std::string_view endpoint, const RequestHeaders& headers,
                         std::string_view body);

// A handler that sends `count` items "<prefix><i>" at once, then finishes.
EndpointHandler StreamingHandler(int count, const std::string& prefix = "item-");

class RequestPlaneTest : public tracing::testing::SpanTest {
 protected:
  static constexpr uint64_t kWorkerId = 0x1234abcd;

  void SetUp() override;
  void TearDown() override;

  // Starts server_ with `options` (host 127.0.0.1, port 0 unless set).
  void StartServer(RequestPlaneServerOptions options = {});
  // Adds an endpoint on the fixture's endpoint scope (dynamo/backend/<name>).
  void AddEndpoint(const std::string& name, EndpointHandler handler,
                   const EndpointOptions& options = {});
  // Creates client_ with `options`, recording §3.6 metrics into client_registry_.
  void StartClient(RequestPlaneClientOptions options = {});
  std::unique_ptr<StreamHandle> Generate(const std::string& endpoint, StreamRecorder& recorder,
                                         RequestHeaders headers = {}, std::string body = "{}");

  [[nodiscard]] std::string WorkerMetrics() const;
  [[nodiscard]] std::string ClientMetrics() const;
  // The value of the sample line that starts with `series` in `text` ("" when absent).
  static std::string Sample(const std::string& text, std::string_view series);
  // `name{<endpoint labels>}` for an endpoint of the fixture, e.g. Series("requests_total",
  // "gen") -> dynamo_component_requests_total{dynamo_component="backend",...}.
  static std::string Series(std::string_view name, std::string_view endpoint,
                            std::string_view extra_labels = "");

  http::EventLoop loop_{2};
  std::shared_ptr<metrics::MetricsScope> runtime_scope_;
  std::shared_ptr<metrics::MetricsScope> component_scope_;
  std::shared_ptr<metrics::Registry> client_registry_;
  std::unique_ptr<RequestPlaneServer> server_;
  std::unique_ptr<RequestPlaneClient> client_;
};

}  // namespace dynobs::runtime::testing
