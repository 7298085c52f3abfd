#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/metrics/scope.h"
#include "dynobs/metrics/types.h"
#include "dynobs/runtime/request_plane/stream.h"

namespace dynobs::runtime {

namespace request_plane_internal {
class ServerState;
}  // namespace request_plane_internal

struct RequestPlaneServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see port() / address())
  // The host callers should dial (discovery records it); empty: `host`, or 127.0.0.1 when
  // `host` is a wildcard address.
  std::string advertise_host;
  // Largest REQUEST frame payload accepted (endpoint + headers + body); larger ones get an
  // INVALID_ARGUMENT END and the connection is closed.
  size_t max_request_bytes = size_t{16} << 20;
  // Streams in flight at once (handler not done, or END not yet written); a request over the
  // limit gets RESOURCE_EXHAUSTED at once. Nothing queues.
  size_t max_concurrent_streams = 1024;
  // Open connections; one over the limit gets a RESOURCE_EXHAUSTED END and is closed.
  size_t max_connections = 4096;
  // Encoded response bytes a stream may have waiting for the socket; past it the stream is
  // cancelled as too slow (ResponseStream::Send returns false).
  size_t max_send_queue_bytes = size_t{8} << 20;
  // Work-handler metrics, the handle_payload span and the lifecycle logs. Off: none of them
  // (benchmarks measure their cost against this).
  bool observability = true;
  // Optional: dynamo_request_plane_server_rejected_total{reason}, requests refused before any
  // endpoint could account for them (reason: malformed_frame, oversized, unknown_endpoint,
  // too_many_connections, shutting_down).
  std::shared_ptr<metrics::Registry> registry;
};

// What an endpoint's `handle_payload` spans say about it (spec §8.2). Empty names are taken
// from the endpoint scope's auto labels (dynamo_namespace, dynamo_component, dynamo_endpoint).
struct EndpointOptions {
  metrics::Labels metrics_labels;  // Dynamo's metrics_labels (e.g. model) on the §3.2 families
  std::string namespace_name;
  std::string component_name;
  std::string endpoint_name;
};

// The worker side of the request plane: a TCP listener that serves endpoints, one stream at a
// time per connection (docs/request-plane.md). For every request it counts the work-handler
// metrics of spec §3.2 / §3.3 on the endpoint's scope, runs the handler inside a
// `handle_payload` span (INFO, target request_span) whose parent is the caller's span, and logs
// `request received` / `request completed` with request_id at INFO (spec §7.4).
//
// Thread safety: all methods may be called from any thread, except Stop() and the destructor,
// which must not run on an event-loop thread. Handlers run on event-loop threads.
// Lifetime: the EventLoop outlives the server. The server may go before the streams its handlers
// still hold (they fail their sends).
class RequestPlaneServer {
 public:
  RequestPlaneServer(http::EventLoop& loop, RequestPlaneServerOptions options);
  ~RequestPlaneServer();  // Stop(0). NOLINT(bugprone-exception-escape): only allocation fails
  RequestPlaneServer(const RequestPlaneServer&) = delete;
  RequestPlaneServer& operator=(const RequestPlaneServer&) = delete;

  // Serves `name` (what callers pass as `endpoint`; unique on this server) with `handler`.
  // Creates the §3.2 families on `endpoint_scope` (and, for the process's first endpoint, the
  // §3.3 ones in its registry) unless observability is off. Errors: a duplicate name, a metric
  // that cannot be registered. Before or after Start().
  Status AddEndpoint(std::string name, EndpointHandler handler,
                     const metrics::MetricsScope& endpoint_scope,
                     const EndpointOptions& options = {});

  // Binds and listens. Errors: bad host, port in use; a second call.
  Status Start();
  [[nodiscard]] uint16_t port() const;
  // "host:port" for discovery records (advertise_host, see the options).
  [[nodiscard]] std::string address() const;

  // Stops accepting; new requests get UNAVAILABLE; waits up to `grace` for streams in flight to
  // end, then closes every connection (their handlers see OnCancel). Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  // Waits until no stream is in flight, for at most `timeout`. True when idle.
  bool WaitIdle(std::chrono::milliseconds timeout) const;
  [[nodiscard]] size_t active_streams() const;
  [[nodiscard]] size_t connections() const;

 private:
  struct Listener;

  http::EventLoop& loop_;
  std::shared_ptr<request_plane_internal::ServerState> state_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace dynobs::runtime
