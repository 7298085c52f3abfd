#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::runtime {

// Headers of a request-plane request (spec §8.3): traceparent, tracestate, x-request-id,
// request-id, x-frontend-send-ts-ns, and whatever else the caller adds. Names are lowercase.
using RequestHeaders = std::vector<std::pair<std::string, std::string>>;

// A request as an endpoint handler receives it.
struct IncomingRequest {
  std::string endpoint;
  RequestHeaders headers;
  std::string body;  // the request payload (JSON)
  int64_t received_unix_nanos = 0;
  [[nodiscard]] std::string_view Header(std::string_view name) const;  // "" when absent
};

// The worker side of one stream: the handler sends response items, then finishes or fails.
// Thread safety: all methods may be called from any thread; Send never blocks (items queue up to
// a bound; past it Send returns false and the stream is cancelled as too slow).
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
  // Runs `callback` once if the caller cancels or disconnects (at once if it already has).
  virtual void OnCancel(std::function<void()> callback) = 0;
  [[nodiscard]] virtual bool cancelled() const = 0;
};

using EndpointHandler =
    std::function<void(IncomingRequest request, std::shared_ptr<ResponseStream> stream)>;

// The caller side of one stream.
class StreamHandle {
 public:
  virtual ~StreamHandle() = default;
  // Stops the stream: the worker is told to stop the work; no callback runs after this returns,
  // except the end callback with a Cancelled status (exactly once overall).
  virtual void Cancel() = 0;
};

struct StreamCallbacks {
  std::function<void(std::string item)> on_item;  // each response item, in order
  std::function<void(Status end)> on_end;         // exactly once: OK, or why it ended
};

}  // namespace dynobs::runtime
