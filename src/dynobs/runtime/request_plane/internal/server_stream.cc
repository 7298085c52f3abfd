#include "dynobs/runtime/request_plane/internal/server_stream.h"

#include <cmath>
#include <exception>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/dispatch.hpp>

#include "dynobs/common/clock.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/tracing/propagation.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

constexpr const char* kTarget = "dynobs::runtime::request_plane";
// One DEBUG line per request at its first response item, with the worker's time to it: what
// the frontend's added TTFT is measured against (scripts/frontend_load.py). Its own target, so
// that it can be turned on alone.
constexpr const char* kFirstResponseTarget = "dynobs::runtime::request_plane::first_response";
constinit tracing::SpanSite kHandlePayload("handle_payload", "request_span", logging::Level::kInfo);

double SecondsSince(int64_t mono_nanos) {
  return static_cast<double>(MonotonicNanos() - mono_nanos) / 1e9;
}

}  // namespace

ServerStream::ServerStream(std::shared_ptr<ServerConnection> connection,
                           std::shared_ptr<const EndpointEntry> endpoint, int64_t entry_mono_nanos)
    : connection_(std::move(connection)),
      endpoint_(std::move(endpoint)),
      out_(connection_->output()),
      entry_mono_nanos_(entry_mono_nanos) {}

void ServerStream::CountError(WorkHandlerError error) const {
  if (const auto* m = metrics()) m->CountError(error);
}

void ServerStream::Run(std::string_view payload, size_t frame_bytes, int64_t received_unix_nanos) {
  if (const auto* m = metrics()) {
    m->requests.Inc();
    m->inflight.Inc();
    m->request_bytes.Inc(frame_bytes);
  }
  DecodedRequest request = DecodeRequest(payload);
  if (request.fault != RequestFault::kNone) {
    Refuse(InvalidArgumentError(request.error), request.fault == RequestFault::kContent
                                                    ? WorkHandlerError::kDeserialization
                                                    : WorkHandlerError::kInvalidMessage);
    return;
  }
  if (metrics() != nullptr) StartSpan(request);
  if (!connection_->server()->TryStartStream()) {
    Refuse(ResourceExhaustedError(
               fmt::format("worker overloaded: {} streams in flight (max_concurrent_streams)",
                           connection_->server()->options.max_concurrent_streams)),
           WorkHandlerError::kGenerate);
    return;
  }
  holds_slot_ = true;
  if (metrics() != nullptr && request.send_ts_nanos) {
    endpoint_->perf.network_transit.Observe(
        TransitSeconds(*request.send_ts_nanos, received_unix_nanos));
  }
  IncomingRequest incoming{.endpoint = std::string(request.endpoint),
                           .headers = std::move(request.headers),
                           .body = std::string(request.body),
                           .received_unix_nanos = received_unix_nanos,
                           .context = span_ ? span_->context() : tracing::SpanContext()};
  if (OpenResponseStream()) InvokeHandler(std::move(incoming));
}

bool ServerStream::OpenResponseStream() {
  std::unique_lock lock(out_.mu);
  if (out_.closed) {  // the caller went before its response stream could open
    wire_open_ = false;
    wire_done_ = true;
    cancel_reason_ = CancelReason::kLost;
    end_status_ = UnavailableError("connection to the caller lost");
    CountError(WorkHandlerError::kResponseStream);
    MaybeComplete(std::move(lock));
    return false;
  }
  handler_done_ = false;
  AppendEmptyFrame(&out_.pending, FrameType::kPrologue);
  out_.appended += kFrameHeaderBytes;
  prologue_end_ = out_.appended;
  const bool wake = connection_->TakeWakeup();
  lock.unlock();
  if (wake) connection_->WakeWriter();
  return true;
}

void ServerStream::StartSpan(const DecodedRequest& request) {
  tracing::Span& span =
      span_.emplace(kHandlePayload, tracing::ExtractContext(LookupIn(request.headers)));
  const tracing::SpanContext& context = span.context();
  if (span.parent_span_id().IsValid()) {
    span.SetAttribute("trace_id", context.trace_id().ToHex());
    span.SetAttribute("parent_id", span.parent_span_id().ToHex());
  }
  if (!context.x_request_id().empty()) {
    span.SetAttribute("x_request_id", context.x_request_id());
    x_request_id_ = context.x_request_id();
  }
  span.SetAttribute("request_id", context.request_id());
  if (!context.tracestate().empty()) span.SetAttribute("tracestate", context.tracestate());
  span.SetAttribute("component", endpoint_->component_name);
  span.SetAttribute("endpoint", endpoint_->endpoint_name);
  span.SetAttribute("namespace", endpoint_->namespace_name);
  span.SetAttribute("instance_id", endpoint_->instance_id);
  tracing::SpanScope scope(span);
  DYNOBS_LOG(kInfo, kTarget, "request received", {"request_id", context.request_id()});
}

void ServerStream::InvokeHandler(IncomingRequest request) {
  {
    std::optional<tracing::SpanScope> scope;
    if (span_) scope.emplace(*span_);
    // Our own reference keeps a handler that throws from releasing the stream first.
    std::shared_ptr<ResponseStream> reference = HandlerReference();
    try {
      endpoint_->handler(std::move(request), reference);
    } catch (const std::exception& e) {
      Fail(InternalError(std::string("endpoint handler threw: ") + e.what()));
    } catch (...) {
      Fail(InternalError("endpoint handler threw"));
    }
    reference.reset();
  }
  if (metrics() == nullptr) return;
  bool failed = false;
  {
    std::lock_guard lock(out_.mu);
    failed = handler_failed_;
  }
  if (!failed) endpoint_->perf.time_to_first_response.Observe(SecondsSince(entry_mono_nanos_));
}

std::shared_ptr<ResponseStream> ServerStream::HandlerReference() {
  return std::shared_ptr<ResponseStream>(
      this, [self = shared_from_this()](ResponseStream*) { self->HandlerReleased(); });
}

void ServerStream::HandlerReleased() {
  {
    std::lock_guard lock(out_.mu);
    if (handler_done_) return;
  }
  EndByHandler(InternalError("the endpoint handler released the stream without ending it"));
}

void ServerStream::Refuse(const Status& status, std::optional<WorkHandlerError> error) {
  if (error) CountError(*error);
  std::unique_lock lock(out_.mu);
  const bool wake = QueueEndLocked(status, false);
  MaybeComplete(std::move(lock));
  if (wake) connection_->WakeWriter();
}

bool ServerStream::QueueEndLocked(const Status& status, bool closing) {
  wire_open_ = false;
  end_status_ = status;
  if (out_.closed) {
    wire_done_ = true;
    return false;
  }
  AppendEndFrame(&out_.pending, status, closing);
  const size_t bytes = EndFrameBytes(status);
  out_.appended += bytes;
  out_.ends.push_back(shared_from_this());
  if (closing) out_.close_after = true;
  if (const auto* m = metrics()) m->response_bytes.Inc(bytes);
  return connection_->TakeWakeup();
}

bool ServerStream::Send(std::string item) {
  std::vector<std::function<void()>> to_fire;
  std::unique_lock lock(out_.mu);
  if (handler_done_) return false;
  if (!wire_open_ || out_.closed) {
    if (!std::exchange(send_failure_counted_, true)) CountError(WorkHandlerError::kPublishResponse);
    return false;
  }
  const size_t frame = ItemFrameBytes(item.size());
  if (out_.pending.size() + frame > connection_->server()->options.max_send_queue_bytes) {
    const bool wake = SendTooSlowLocked(&to_fire);
    lock.unlock();
    if (wake) connection_->WakeWriter();
    FireCancel(to_fire);
    return false;
  }
  AppendItemFrame(&out_.pending, item);
  out_.appended += frame;
  if (const auto* m = metrics()) m->response_bytes.Inc(frame);
  const bool wake = connection_->TakeWakeup();
  const bool first = !std::exchange(first_sent_, true);
  lock.unlock();
  if (wake) connection_->WakeWriter();
  if (first) {
    DYNOBS_LOG(kDebug, kFirstResponseTarget, "first response sent", {"x_request_id", x_request_id_},
               {"ttfr_ms", std::round(SecondsSince(entry_mono_nanos_) * 1e6) / 1e3});
  }
  return true;
}

bool ServerStream::SendTooSlowLocked(std::vector<std::function<void()>>* to_fire) {
  cancel_reason_ = CancelReason::kTooSlow;
  send_failure_counted_ = true;
  CountError(WorkHandlerError::kPublishResponse);
  to_fire->swap(on_cancel_);
  return QueueEndLocked(
      ResourceExhaustedError(fmt::format(
          "response stream cancelled: the caller reads too slowly (over {} bytes queued)",
          connection_->server()->options.max_send_queue_bytes)),
      true);
}

void ServerStream::Finish() { EndByHandler(Status::Ok()); }

void ServerStream::Fail(Status error) {
  if (error.ok()) error = InternalError("the endpoint handler failed the stream with OK");
  EndByHandler(error);
}

void ServerStream::EndByHandler(const Status& status) {
  std::unique_lock lock(out_.mu);
  if (handler_done_) return;
  handler_done_ = true;
  handler_failed_ = !status.ok();
  bool wake = false;
  if (wire_open_ && !out_.closed) {
    if (!status.ok()) CountError(WorkHandlerError::kGenerate);
    end_from_handler_ = true;
    wake = QueueEndLocked(status, false);
  } else if ((cancel_reason_ == CancelReason::kLost || out_.closed) && !send_failure_counted_) {
    CountError(WorkHandlerError::kPublishFinal);  // the caller is gone: the END cannot go out
  }
  if (wire_open_) {  // the connection closed under us; ConnectionLost will find the wire shut
    wire_open_ = false;
    wire_done_ = true;
  }
  MaybeComplete(std::move(lock));
  if (wake) connection_->WakeWriter();
}

void ServerStream::OnCancel(std::function<void()> callback) {
  std::unique_lock lock(out_.mu);
  if (cancel_reason_ == CancelReason::kNone) {
    on_cancel_.push_back(std::move(callback));
    return;
  }
  lock.unlock();
  callback();
}

bool ServerStream::cancelled() const {
  std::lock_guard lock(out_.mu);
  return cancel_reason_ != CancelReason::kNone;
}

bool ServerStream::wire_open() const {
  std::lock_guard lock(out_.mu);
  return wire_open_;
}

void ServerStream::CancelByCaller() {
  std::unique_lock lock(out_.mu);
  if (!wire_open_ || out_.closed) return;
  cancel_reason_ = CancelReason::kCaller;
  if (const auto* m = metrics()) m->cancellations.Inc();
  const bool wake =
      QueueEndLocked(Status(StatusCode::kCancelled, "cancelled: the caller sent CANCEL"), false);
  std::vector<std::function<void()>> to_fire = std::move(on_cancel_);
  on_cancel_.clear();
  lock.unlock();
  if (wake) connection_->WakeWriter();
  FireCancel(to_fire);
}

void ServerStream::ConnectionLost() {
  std::unique_lock lock(out_.mu);
  if (!wire_open_) return;
  wire_open_ = false;
  wire_done_ = true;
  cancel_reason_ = CancelReason::kLost;
  end_status_ = UnavailableError("connection to the caller lost");
  if (prologue_end_ != 0 && connection_->written() >= prologue_end_) {
    if (const auto* m = metrics()) m->cancellations.Inc();
  } else {
    CountError(WorkHandlerError::kResponseStream);  // and nothing more: the stream never opened
    send_failure_counted_ = true;
  }
  std::vector<std::function<void()>> to_fire = std::move(on_cancel_);
  on_cancel_.clear();
  MaybeComplete(std::move(lock));
  FireCancel(to_fire);
}

void ServerStream::EndWritten(bool ok) {
  std::unique_lock lock(out_.mu);
  wire_done_ = true;
  if (!ok && end_from_handler_ && !send_failure_counted_) {
    CountError(WorkHandlerError::kPublishFinal);
  }
  MaybeComplete(std::move(lock));
}

void ServerStream::FireCancel(const std::vector<std::function<void()>>& callbacks) {
  for (const auto& callback : callbacks) callback();
}

void ServerStream::MaybeComplete(std::unique_lock<std::mutex> lock) {
  if (completed_ || !handler_done_ || !wire_done_) return;
  completed_ = true;
  on_cancel_.clear();
  lock.unlock();
  boost::asio::dispatch(connection_->executor(), [self = shared_from_this()] { self->Complete(); });
}

void ServerStream::Complete() {
  if (const auto* m = metrics()) {
    m->inflight.Dec();
    m->duration.Observe(SecondsSince(entry_mono_nanos_));
  }
  if (span_) {
    {
      tracing::SpanScope scope(*span_);
      DYNOBS_LOG(kInfo, kTarget, "request completed",
                 {"request_id", span_->context().request_id()});
    }
    if (!end_status_.ok()) {
      span_->SetStatus(tracing::StatusCode::kError, end_status_.ToString());
    }
    span_->End();
  }
  if (holds_slot_) connection_->server()->EndStream();
  connection_->ReleaseActive(this);
}

}  // namespace dynobs::runtime::request_plane_internal
