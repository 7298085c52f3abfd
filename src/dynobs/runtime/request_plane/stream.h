#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/tracing/span_context.h"

namespace dynobs::runtime {

// Headers of a request-plane request (spec §8.3): traceparent, tracestate, x-request-id,
// request-id, x-frontend-send-ts-ns, and whatever else the caller adds. Names are lowercase
// tokens; values up to 65535 bytes without CR, LF or NUL; at most 256 headers.
using RequestHeaders = std::vector<std::pair<std::string, std::string>>;

// A request as an endpoint handler receives it.
struct IncomingRequest {
  std::string endpoint;
  RequestHeaders headers;
  std::string body;  // the request payload (JSON)
  int64_t received_unix_nanos = 0;
  // The worker's `handle_payload` span (its parent is the caller's span): the parent for spans
  // the handler starts on other threads. Invalid when the server's observability is off.
  tracing::SpanContext context;
  [[nodiscard]] std::string_view Header(std::string_view name) const;  // "" when absent
};

// The worker side of one stream: the handler sends response items, then finishes or fails.
//
// Thread safety: every method may be called from any thread. Send never blocks: items queue up
// to the server's max_send_queue_bytes; past it Send returns false and the stream is cancelled
// as too slow (the caller gets RESOURCE_EXHAUSTED).
// Lifetime: the handler must end every stream it is given with Finish() or Fail(), also after a
// cancellation, or release its last reference; releasing an unended stream fails it as INTERNAL.
// The request counts as in flight (dynamo_component_inflight_requests, the server's stream
// limit) until both the handler has ended the stream and its END frame is written or moot.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues one response item (JSON). False when the stream is over: the caller cancelled or went
  // away, the stream finished, or the caller is too slow.
  virtual bool Send(std::string item) = 0;
  // Ends the stream normally (after the queued items).
  virtual void Finish() = 0;
  // Ends the stream with an error the caller sees as its end status.
  virtual void Fail(Status error) = 0;
  // Runs `callback` once if the caller cancels or disconnects, or the stream is cancelled as too
  // slow (at once, on this thread, if that has happened). It runs on whichever thread noticed,
  // usually an event-loop thread: keep it short and non-blocking. It may call Finish() or Fail().
  virtual void OnCancel(std::function<void()> callback) = 0;
  [[nodiscard]] virtual bool cancelled() const = 0;
};

// Called on an event-loop thread for each request; must not block. It may keep the stream and
// feed it from other threads.
using EndpointHandler =
    std::function<void(IncomingRequest request, std::shared_ptr<ResponseStream> stream)>;

// The caller side of one stream. Destroying the handle cancels the stream if it has not ended.
// Thread safety: Cancel() may be called from any thread, also from inside the callbacks.
class StreamHandle {
 public:
  virtual ~StreamHandle() = default;
  // Stops the stream: the worker is told to stop the work; no callback runs after this returns,
  // except the end callback with a Cancelled status (exactly once overall: Cancel() runs it
  // itself, on the calling thread, unless the stream had already ended).
  virtual void Cancel() = 0;
};

// Callbacks run on an event-loop thread (one stream's callbacks never run concurrently); they
// must not block.
struct StreamCallbacks {
  std::function<void(std::string item)> on_item;  // each response item, in order
  std::function<void(Status end)> on_end;         // exactly once: OK, or why it ended
};

}  // namespace dynobs::runtime
