#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dynobs/http/event_loop.h"
#include "dynobs/runtime/request_plane/client_metrics.h"
#include "dynobs/runtime/request_plane/stream.h"

namespace dynobs::runtime {

namespace request_plane_internal {
struct ClientState;
}  // namespace request_plane_internal

struct RequestPlaneClientOptions {
  // A connection attempt (resolve + connect) that takes longer fails the stream with
  // DEADLINE_EXCEEDED.
  std::chrono::milliseconds connect_timeout{3000};
  // 0: none. Otherwise a stream that receives nothing for this long ends with DEADLINE_EXCEEDED
  // and its connection is closed (the worker sees a disconnect and cancels the work).
  std::chrono::milliseconds inactivity_timeout{0};
  // After Cancel(), how long the client waits for the worker's END before it closes the
  // connection instead of returning it to the pool.
  std::chrono::milliseconds cancel_drain_timeout{1000};
  // Idle pooled connections older than this are closed instead of reused.
  std::chrono::milliseconds idle_connection_timeout{60000};
  // Largest REQUEST payload (endpoint + headers + body) sent; larger requests end with
  // INVALID_ARGUMENT without touching the network. Also the largest response frame accepted.
  size_t max_request_bytes = size_t{16} << 20;
  size_t max_response_frame_bytes = size_t{16} << 20;
  // Pool bounds per worker address: idle connections kept, and connections open at once (one
  // per stream in flight plus the idle ones). A stream over the second bound ends at once with
  // RESOURCE_EXHAUSTED; nothing queues.
  size_t max_idle_connections_per_address = 64;
  size_t max_connections_per_address = 1024;
  // Stamp x-frontend-send-ts-ns (spec §3.3) right before each REQUEST is written, replacing any
  // value the caller set.
  bool stamp_send_time = true;
  // The §3.6 families (shared between clients); null: not recorded.
  std::shared_ptr<const RequestPlaneMetrics> metrics;
};

// The caller side of the request plane: streams requests to workers' RequestPlaneServers over
// pooled TCP connections, one stream per connection at a time (docs/request-plane.md).
//
// A stream ends exactly once (StreamCallbacks::on_end) with: OK after the worker's END; the
// worker's error (its END: NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED for overload or a
// slow reader, INTERNAL, UNAVAILABLE while it shuts down, ...); UNAVAILABLE "worker connection
// lost" when the connection breaks before END (a worker that dies is seen at once: EOF/RST);
// UNAVAILABLE when it cannot connect; DEADLINE_EXCEEDED after a connect or inactivity timeout;
// CANCELLED after Cancel(); INVALID_ARGUMENT for a request over max_request_bytes.
//
// Thread safety: Generate() may be called from any thread, including from callbacks.
// Lifetime: the EventLoop outlives the client. Streams in flight keep what they need alive, so
// the client may be destroyed first (it closes its idle connections).
class RequestPlaneClient {
 public:
  explicit RequestPlaneClient(http::EventLoop& loop, RequestPlaneClientOptions options = {});
  ~RequestPlaneClient();
  RequestPlaneClient(const RequestPlaneClient&) = delete;
  RequestPlaneClient& operator=(const RequestPlaneClient&) = delete;

  // Sends `body` to `endpoint` of the worker at `address` ("host:port" or "[v6]:port") and
  // streams its response items to `callbacks` (on an event-loop thread). `headers` go as given
  // (see AddTraceHeaders in headers.h), plus x-frontend-send-ts-ns. Never fails synchronously:
  // errors arrive through on_end.
  // Cost: an allocation for the stream, a pooled connection (a non-blocking peek checks that
  // it is still open), one write for the request and one read per batch of response frames.
  [[nodiscard]] std::unique_ptr<StreamHandle> Generate(std::string_view address,
                                                       std::string_view endpoint,
                                                       RequestHeaders headers, std::string body,
                                                       StreamCallbacks callbacks);

  // Connections this client has opened (connects that succeeded).
  [[nodiscard]] uint64_t connections_opened() const;
  // Idle connections in the pool, all addresses.
  [[nodiscard]] size_t idle_connections() const;

 private:
  std::shared_ptr<request_plane_internal::ClientState> state_;
};

}  // namespace dynobs::runtime
