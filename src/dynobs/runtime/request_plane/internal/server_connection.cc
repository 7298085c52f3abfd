#include "dynobs/runtime/request_plane/internal/server_connection.h"

#include <exception>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "dynobs/common/clock.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/request_plane/internal/server_stream.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kTarget = "dynobs::runtime::request_plane";
constexpr size_t kServerReadBufferBytes = size_t{4} << 10;
constexpr size_t kKeepBufferBytes = size_t{1} << 20;

std::string_view RejectionName(Rejection reason) {
  switch (reason) {
    case Rejection::kMalformedFrame:
      return "malformed_frame";
    case Rejection::kOversized:
      return "oversized";
    case Rejection::kUnknownEndpoint:
      return "unknown_endpoint";
    case Rejection::kTooManyConnections:
      return "too_many_connections";
    case Rejection::kShuttingDown:
      return "shutting_down";
  }
  return "unknown";
}

}  // namespace

ServerConnection::ServerConnection(Socket socket, std::shared_ptr<ServerState> server)
    : socket_(std::move(socket)),
      server_(std::move(server)),
      wake_(socket_.get_executor()),
      reader_(server_->options.max_request_bytes, kServerReadBufferBytes) {}

void ServerConnection::Start() {
  error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  id_ = server_->AddConnection(shared_from_this());
  auto keep = [self = shared_from_this()](const std::exception_ptr&) {};
  if (id_ == 0) {
    asio::co_spawn(socket_.get_executor(), RefuseConnection(), keep);
    return;
  }
  asio::co_spawn(socket_.get_executor(), ReadLoop(), keep);
  asio::co_spawn(socket_.get_executor(), WriteLoop(), keep);
}

void ServerConnection::Abort() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void ServerConnection::WakeWriter() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
}

void ServerConnection::ReleaseActive(const ServerStream* stream) {
  if (active_.get() == stream) active_.reset();
}

asio::awaitable<void> ServerConnection::RefuseConnection() {
  server_->CountRejection(Rejection::kTooManyConnections);
  std::string end;
  AppendEndFrame(&end,
                 ResourceExhaustedError(fmt::format("worker has too many connections (max {})",
                                                    server_->options.max_connections)),
                 true);
  co_await asio::async_write(socket_, asio::buffer(end), kAsTuple);
  error_code ec;
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
}

asio::awaitable<void> ServerConnection::ReadLoop() {
  FrameType type{};
  std::string_view payload;
  for (;;) {
    switch (reader_.Next(&type, &payload)) {
      case FrameReader::Result::kFrame:
        if (!HandleFrame(type, payload)) co_return;
        break;
      case FrameReader::Result::kNeedMore: {
        std::span<char> space = reader_.Space();
        auto [ec, n] =
            co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), kAsTuple);
        if (ec) {
          Close();
          co_return;
        }
        reader_.Commit(n);
        break;
      }
      case FrameReader::Result::kUnknownType:
        Refuse(Rejection::kMalformedFrame,
               InvalidArgumentError(
                   fmt::format("malformed frame: unknown frame type {}", reader_.bad_value())),
               true);
        co_return;
      case FrameReader::Result::kOversized:
        Refuse(Rejection::kOversized,
               InvalidArgumentError(fmt::format(
                   "request of {} bytes exceeds the worker's limit of {} bytes (max_request_bytes)",
                   reader_.bad_value(), reader_.max_payload_bytes())),
               true);
        co_return;
    }
    if (closed_) co_return;
  }
}

bool ServerConnection::HandleFrame(FrameType type, std::string_view payload) {
  switch (type) {
    case FrameType::kRequest:
      if (active_ && active_->wire_open()) {
        Refuse(Rejection::kMalformedFrame,
               InvalidArgumentError("protocol error: a REQUEST arrived while a stream is active"),
               true);
        return false;
      }
      HandleRequest(payload);
      return true;
    case FrameType::kCancel:
      if (active_) active_->CancelByCaller();
      return true;
    default:
      Refuse(Rejection::kMalformedFrame,
             InvalidArgumentError("protocol error: a caller sends only REQUEST and CANCEL frames"),
             true);
      return false;
  }
}

void ServerConnection::HandleRequest(std::string_view payload) {
  const int64_t entry = MonotonicNanos();
  const int64_t received = WallNanos();
  std::optional<std::string_view> name = DecodeRequestEndpoint(payload);
  if (!name) {
    Refuse(Rejection::kMalformedFrame,
           InvalidArgumentError("malformed request: not a request of protocol version 1"), false);
    return;
  }
  std::shared_ptr<const EndpointEntry> endpoint = server_->FindEndpoint(*name);
  if (!endpoint) {
    Refuse(Rejection::kUnknownEndpoint,
           NotFoundError(fmt::format("no endpoint '{}' on this worker", *name)), false);
    return;
  }
  if (server_->stopping.load(std::memory_order_relaxed)) {
    Refuse(Rejection::kShuttingDown, UnavailableError("worker is shutting down"), true);
    return;
  }
  active_ = std::make_shared<ServerStream>(shared_from_this(), std::move(endpoint), entry);
  std::shared_ptr<ServerStream> stream = active_;
  stream->Run(payload, kFrameHeaderBytes + payload.size(), received);
}

void ServerConnection::Refuse(Rejection reason, const Status& status, bool closing) {
  server_->CountRejection(reason);
  DYNOBS_LOG(kWarn, kTarget, "request-plane request refused", {"reason", RejectionName(reason)},
             {"error", status.message()});
  if (closing && active_) active_->ConnectionLost();  // it cannot go on on this connection
  bool wake = false;
  {
    std::lock_guard lock(out_.mu);
    if (out_.closed) return;
    AppendEndFrame(&out_.pending, status, closing);
    out_.appended += EndFrameBytes(status);
    if (closing) out_.close_after = true;
    wake = TakeWakeup();
  }
  if (wake) WakeWriter();
}

asio::awaitable<void> ServerConnection::WriteLoop() {
  std::string batch;
  std::vector<std::shared_ptr<ServerStream>> ends;
  for (;;) {
    bool close_now = false;
    {
      std::lock_guard lock(out_.mu);
      if (out_.closed) break;
      if (!out_.pending.empty()) {
        batch.swap(out_.pending);
        ends.swap(out_.ends);
      } else if (out_.close_after) {
        close_now = true;
      } else {
        out_.writer_waiting = true;
      }
    }
    if (close_now) break;
    if (batch.empty()) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(kAsTuple);
      continue;
    }
    writing_ = true;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(batch), kAsTuple);
    writing_ = false;
    if (!ec) written_ += n;
    for (auto& stream : ends) stream->EndWritten(!ec);
    ends.clear();
    if (batch.capacity() > kKeepBufferBytes) {
      std::string().swap(batch);  // a burst's buffer does not stay with an idle connection
    } else {
      batch.clear();
    }
    if (ec || closed_) break;
  }
  Close();
  FinishClose();  // Close() leaves this to us when it ran during a write
}

void ServerConnection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
  wake_.cancel();
  std::vector<std::shared_ptr<ServerStream>> ends;
  {
    std::lock_guard lock(out_.mu);
    out_.closed = true;
    ends.swap(out_.ends);
    std::string().swap(out_.pending);
  }
  for (auto& stream : ends) stream->EndWritten(false);
  // A write in flight may have put the active stream's PROLOGUE on the wire: whether the stream
  // was open (cancellation) or never opened (response_stream) is known when it completes.
  if (!writing_) FinishClose();
}

void ServerConnection::FinishClose() {
  if (!closed_ || std::exchange(close_finished_, true)) return;
  if (std::shared_ptr<ServerStream> active = std::move(active_)) active->ConnectionLost();
  server_->RemoveConnection(id_);
}

}  // namespace dynobs::runtime::request_plane_internal
