#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/runtime/request_plane/internal/frame.h"
#include "dynobs/runtime/request_plane/internal/server_connection.h"
#include "dynobs/runtime/request_plane/internal/server_state.h"
#include "dynobs/runtime/request_plane/stream.h"
#include "dynobs/tracing/span.h"

namespace dynobs::runtime::request_plane_internal {

// One request on the worker: the ResponseStream its handler feeds, and the request's
// accounting (spec §3.2 guard: inflight, duration, `request completed`, the span's end).
//
// Two things must end before the request completes: the handler's side (Finish, Fail, or
// releasing its last reference) and the wire's (the END frame written, or the connection lost).
// Completion runs once, on the connection's strand.
//
// Thread safety: the ResponseStream methods take the connection's output mutex (state fields
// below are guarded by it); the rest runs on the connection's strand. OnCancel callbacks run
// without the mutex held.
class ServerStream final : public ResponseStream,
                           public std::enable_shared_from_this<ServerStream> {
 public:
  ServerStream(std::shared_ptr<ServerConnection> connection,
               std::shared_ptr<const EndpointEntry> endpoint, int64_t entry_mono_nanos);
  ~ServerStream() override = default;
  ServerStream(const ServerStream&) = delete;
  ServerStream& operator=(const ServerStream&) = delete;

  bool Send(std::string item) override;
  void Finish() override;
  void Fail(Status error) override;
  void OnCancel(std::function<void()> callback) override;
  [[nodiscard]] bool cancelled() const override;

  // Strand: counts the request, decodes it, enforces the stream limit, opens the span and runs
  // the handler. `frame_bytes` is the REQUEST frame's size.
  void Run(std::string_view payload, size_t frame_bytes, int64_t received_unix_nanos);
  // Strand: the caller sent CANCEL.
  void CancelByCaller();
  // Strand: the connection is gone (EOF, reset, write failure, Stop()).
  void ConnectionLost();
  // Strand: the batch holding this stream's END was written (`ok`) or failed.
  void EndWritten(bool ok);
  // Whether the stream's END is not yet queued (it still owns the connection's output).
  [[nodiscard]] bool wire_open() const;

 private:
  enum class CancelReason : uint8_t { kNone, kCaller, kLost, kTooSlow };

  [[nodiscard]] const WorkHandlerMetrics* metrics() const { return endpoint_->metrics.get(); }
  void CountError(WorkHandlerError error) const;
  void Refuse(const Status& status, std::optional<WorkHandlerError> error);
  void StartSpan(const DecodedRequest& request);
  // Queues the PROLOGUE (the handler's items follow it); false when the caller is gone already.
  bool OpenResponseStream();
  void InvokeHandler(IncomingRequest request);
  std::shared_ptr<ResponseStream> HandlerReference();
  void HandlerReleased();
  // With the output mutex held: queues END, marks the wire closed.
  bool QueueEndLocked(const Status& status, bool closing);
  void EndByHandler(const Status& status);
  bool SendTooSlowLocked(std::vector<std::function<void()>>* to_fire);
  static void FireCancel(const std::vector<std::function<void()>>& callbacks);
  void MaybeComplete(std::unique_lock<std::mutex> lock);
  void Complete();

  const std::shared_ptr<ServerConnection> connection_;
  const std::shared_ptr<const EndpointEntry> endpoint_;
  ServerConnection::Output& out_;
  const int64_t entry_mono_nanos_;
  std::optional<tracing::Span> span_;  // strand only
  std::string x_request_id_;  // set before the handler runs; for the first-response debug line

  // Guarded by out_.mu.
  bool wire_open_ = true;
  bool wire_done_ = false;
  bool handler_done_ = true;  // until the handler is called
  bool handler_failed_ = false;
  bool send_failure_counted_ = false;
  bool end_from_handler_ = false;
  bool completed_ = false;
  bool holds_slot_ = false;
  bool first_sent_ = false;
  CancelReason cancel_reason_ = CancelReason::kNone;
  Status end_status_;          // how the stream ended, for the span (read by Complete())
  uint64_t prologue_end_ = 0;  // output offset after this stream's PROLOGUE (0: none)
  std::vector<std::function<void()>> on_cancel_;
};

}  // namespace dynobs::runtime::request_plane_internal
