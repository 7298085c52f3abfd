#include "dynobs/runtime/request_plane/internal/client_stream.h"

#include <algorithm>
#include <array>
#include <charconv>
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
#include "dynobs/runtime/request_plane/internal/frame.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::array<char, kFrameHeaderBytes> kCancelFrame = {
    0, 0, 0, 0, static_cast<char>(FrameType::kCancel)};
constexpr size_t kKeepWriteBufferBytes = size_t{1} << 20;

int64_t Nanos(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

double SecondsSince(int64_t mono_nanos) {
  return static_cast<double>(MonotonicNanos() - mono_nanos) / 1e9;
}

Status Cancelled() { return {StatusCode::kCancelled, "cancelled by the caller"}; }

}  // namespace

ClientState::ClientState(asio::io_context& io, RequestPlaneClientOptions options)
    : io(io),
      options(std::move(options)),
      metrics(this->options.metrics ? *this->options.metrics : RequestPlaneMetrics::Disabled()),
      pool(io, {.max_idle_per_address = this->options.max_idle_connections_per_address,
                .max_per_address = this->options.max_connections_per_address,
                .idle_timeout_nanos = Nanos(this->options.idle_connection_timeout),
                .max_frame_bytes = this->options.max_response_frame_bytes}) {}

ClientStream::ClientStream(std::shared_ptr<ClientState> state, std::string_view endpoint,
                           RequestHeaders headers, std::string body, StreamCallbacks callbacks)
    : state_(std::move(state)),
      start_mono_nanos_(MonotonicNanos()),
      endpoint_(endpoint),
      headers_(std::move(headers)),
      body_(std::move(body)),
      callbacks_(std::move(callbacks)) {}

void ClientStream::Start(std::shared_ptr<ClientConnection> connection) {
  strand_ = connection->strand;
  connection_ = std::move(connection);
  asio::co_spawn(strand_, Run(), [self = shared_from_this()](const std::exception_ptr&) {});
}

void ClientStream::FailSoon(Status status) {
  asio::post(state_->io, [self = shared_from_this(), status = std::move(status)]() mutable {
    self->DeliverEnd(std::move(status));
    std::lock_guard lock(self->gate_mu_);
    self->callbacks_ = {};
  });
}

bool ClientStream::ended() const {
  std::lock_guard lock(gate_mu_);
  return ended_;
}

void ClientStream::Cancel() {
  cancel_requested_.store(true);
  if (!DeliverEnd(Cancelled())) return;
  if (strand_) asio::post(strand_, [self = shared_from_this()] { self->OnCancelOnStrand(); });
}

bool ClientStream::DeliverEnd(Status status) {
  std::unique_lock lock(gate_mu_, std::defer_lock);
  const std::thread::id self = std::this_thread::get_id();
  if (delivering_.load(std::memory_order_relaxed) != self) lock.lock();  // else: nested
  if (ended_) return false;
  ended_ = true;
  state_->metrics.inflight.Dec();
  const std::thread::id previous = delivering_.exchange(self);
  if (callbacks_.on_end) callbacks_.on_end(std::move(status));
  delivering_.store(previous);
  return true;
}

asio::awaitable<void> ClientStream::Run() {
  if (!cancel_requested_.load() && !connection_->connected) {
    Status connected = co_await Connect();
    if (!connected.ok()) {
      Finish(std::move(connected), false, true);
      co_return;
    }
  }
  if (cancel_requested_.load()) {
    Finish(Cancelled(), true, false);
    co_return;
  }
  co_await WriteRequest();
  if (!finished_) co_await ReadResponses();
}

asio::awaitable<Status> ClientStream::Connect() {
  connecting_ = true;
  connect_deadline_mono_nanos_ = MonotonicNanos() + Nanos(state_->options.connect_timeout);
  EnsureWatching();
  const std::string& address = connection_->address;
  std::optional<HostAndPort> target = SplitAddress(address);
  if (!target) {
    connecting_ = false;
    co_return InvalidArgumentError(
        fmt::format("bad worker address '{}' (want host:port)", address));
  }
  error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(target->host, ec), target->port);
  if (ec) {  // a name: resolve it
    resolver_.emplace(strand_);
    auto [rec, results] =
        co_await resolver_->async_resolve(target->host, std::to_string(target->port), kAsTuple);
    if (rec || results.empty()) {
      connecting_ = false;
      if (timed_out_) co_return *timed_out_;
      co_return UnavailableError(fmt::format("cannot resolve {}: {}", address, rec.message()));
    }
    endpoint = results.begin()->endpoint();
  }
  auto [cec] = co_await connection_->socket.async_connect(endpoint, kAsTuple);
  connecting_ = false;
  if (timer_) timer_->cancel();  // the watchdog recomputes without the connect deadline
  if (timed_out_) co_return *std::exchange(timed_out_, std::nullopt);
  if (cec) {
    if (cancel_requested_.load()) co_return Cancelled();
    co_return UnavailableError(fmt::format("cannot connect to {}: {}", address, cec.message()));
  }
  connection_->socket.set_option(tcp::no_delay(true), ec);
  connection_->connected = true;
  state_->pool.CountConnect();
  co_return Status::Ok();
}

asio::awaitable<void> ClientStream::WriteRequest() {
  std::string& buffer = connection_->write_buffer;
  buffer.clear();
  std::optional<int64_t> send_ts;
  if (state_->options.stamp_send_time) send_ts = WallNanos();
  Status encoded = AppendRequestFrame(&buffer, endpoint_, headers_, body_, send_ts);
  if (encoded.ok() && buffer.size() - kFrameHeaderBytes > state_->options.max_request_bytes) {
    encoded = InvalidArgumentError(fmt::format("request of {} bytes exceeds max_request_bytes ({})",
                                               buffer.size() - kFrameHeaderBytes,
                                               state_->options.max_request_bytes));
  }
  if (!encoded.ok()) {
    buffer.clear();
    Finish(std::move(encoded), true, false);
    co_return;
  }
  const RequestPlaneMetrics& m = state_->metrics;
  m.queue_seconds.Observe(SecondsSince(start_mono_nanos_));
  send_start_mono_nanos_ = last_activity_mono_nanos_ = MonotonicNanos();
  if (state_->options.inactivity_timeout.count() > 0) EnsureWatching();
  auto [ec, n] = co_await asio::async_write(connection_->socket, asio::buffer(buffer), kAsTuple);
  if (buffer.capacity() > kKeepWriteBufferBytes) std::string().swap(buffer);
  if (ec) {
    Finish(timed_out_ ? *timed_out_ : UnavailableError("worker connection lost: " + ec.message()),
           false, true);
    co_return;
  }
  m.bytes_sent.Inc(static_cast<double>(n));
  request_written_ = true;
  if (cancel_requested_.load()) SendCancel();
}

asio::awaitable<void> ClientStream::ReadResponses() {
  ClientConnection& connection = *connection_;
  const bool track_activity = state_->options.inactivity_timeout.count() > 0;
  for (;;) {
    if (ParseFrames() == Parse::kEnded) co_return;
    std::span<char> space = connection.reader.Space();
    auto [ec, n] = co_await connection.socket.async_read_some(
        asio::buffer(space.data(), space.size()), kAsTuple);
    if (ec) {
      Finish(timed_out_ ? *timed_out_ : UnavailableError("worker connection lost: " + ec.message()),
             false, true);
      co_return;
    }
    if (track_activity) last_activity_mono_nanos_ = MonotonicNanos();
    state_->metrics.bytes_received.Inc(static_cast<double>(n));
    connection.reader.Commit(n);
  }
}

ClientStream::Parse ClientStream::ParseFrames() {
  std::unique_lock gate(gate_mu_, std::defer_lock);
  FrameType type{};
  std::string_view payload;
  for (;;) {
    const FrameReader::Result r = connection_->reader.Next(&type, &payload);
    if (r == FrameReader::Result::kNeedMore) break;
    const bool frame = r == FrameReader::Result::kFrame;
    if (frame && type == FrameType::kItem) {
      DeliverItem(gate, payload);
      continue;
    }
    if (frame && (type == FrameType::kPrologue || type == FrameType::kEnd)) NoteAnswer();
    if (frame && type == FrameType::kPrologue) continue;
    ReleaseGate(gate);
    if (frame && type == FrameType::kEnd) {
      OnEnd(payload);
    } else {
      Finish(InternalError(frame ? "protocol error: the worker sent a caller's frame"
                                 : fmt::format("protocol error: bad frame from the worker ({})",
                                               connection_->reader.bad_value())),
             false, true);
    }
    return Parse::kEnded;
  }
  ReleaseGate(gate);
  return Parse::kMore;
}

void ClientStream::DeliverItem(std::unique_lock<std::mutex>& gate, std::string_view payload) {
  if (!std::exchange(got_item_, true)) {
    state_->metrics.roundtrip_ttft_seconds.Observe(SecondsSince(send_start_mono_nanos_));
  }
  if (!gate.owns_lock()) {  // one lock for all the items of a read
    gate.lock();
    delivering_.store(std::this_thread::get_id());
  }
  if (!ended_ && callbacks_.on_item) callbacks_.on_item(std::string(payload));
}

void ClientStream::ReleaseGate(std::unique_lock<std::mutex>& gate) {
  if (!gate.owns_lock()) return;
  delivering_.store(std::thread::id());
  gate.unlock();
}

void ClientStream::NoteAnswer() {
  if (!std::exchange(got_prologue_, true)) {
    state_->metrics.send_seconds.Observe(SecondsSince(send_start_mono_nanos_));
  }
}

void ClientStream::OnEnd(std::string_view payload) {
  StatusOr<DecodedEnd> end = DecodeEnd(payload);
  if (!end.ok()) {
    Finish(end.status(), false, true);
    return;
  }
  Finish(std::move(end->status), !end->closing, false);
}

void ClientStream::OnCancelOnStrand() {
  if (finished_) return;
  cancel_mono_nanos_ = MonotonicNanos();
  if (connecting_) {
    error_code ec;
    connection_->socket.close(ec);
    if (resolver_) resolver_->cancel();
    return;
  }
  if (request_written_) SendCancel();  // else Run() sends it after the request
}

void ClientStream::SendCancel() {
  if (cancel_sent_ || finished_) return;
  cancel_sent_ = true;
  cancel_mono_nanos_ = MonotonicNanos();
  cancel_write_pending_ = true;
  EnsureWatching();
  asio::async_write(connection_->socket, asio::buffer(kCancelFrame),
                    [self = shared_from_this()](error_code ec, size_t n) {
                      self->cancel_write_pending_ = false;
                      if (!ec) self->state_->metrics.bytes_sent.Inc(static_cast<double>(n));
                      if (self->finished_ && self->connection_) {  // Finish() waited for us
                        self->state_->pool.Release(std::move(self->connection_),
                                                   self->release_reusable_ && !ec);
                      }
                    });
}

void ClientStream::EnsureWatching() {
  if (!timer_) timer_.emplace(strand_);
  if (watching_) {
    timer_->cancel();  // recompute the deadline
    return;
  }
  watching_ = true;
  asio::co_spawn(strand_, Watch(), [self = shared_from_this()](const std::exception_ptr&) {});
}

int64_t ClientStream::NextDeadline() const {
  if (finished_) return 0;
  if (connecting_) return connect_deadline_mono_nanos_;
  int64_t deadline = 0;
  const auto inactivity = state_->options.inactivity_timeout;
  if (inactivity.count() > 0 && send_start_mono_nanos_ != 0) {
    deadline = last_activity_mono_nanos_ + Nanos(inactivity);
  }
  if (cancel_sent_) {
    int64_t drain = cancel_mono_nanos_ + Nanos(state_->options.cancel_drain_timeout);
    deadline = deadline == 0 ? drain : std::min(deadline, drain);
  }
  return deadline;
}

asio::awaitable<void> ClientStream::Watch() {
  for (;;) {
    const int64_t deadline = NextDeadline();
    if (deadline == 0) break;
    const int64_t now = MonotonicNanos();
    if (now >= deadline) {
      TimeOut();
      break;
    }
    timer_->expires_after(std::chrono::nanoseconds(deadline - now));
    co_await timer_->async_wait(kAsTuple);
  }
  watching_ = false;
}

void ClientStream::TimeOut() {
  if (connecting_) {
    timed_out_ = Status(StatusCode::kDeadlineExceeded,
                        fmt::format("connecting to {} timed out after {} ms", connection_->address,
                                    state_->options.connect_timeout.count()));
  } else if (cancel_requested_.load()) {
    timed_out_ = Cancelled();  // no END after CANCEL: drop the connection
  } else {
    timed_out_ = Status(StatusCode::kDeadlineExceeded,
                        fmt::format("no response from the worker for {} ms (inactivity_timeout)",
                                    state_->options.inactivity_timeout.count()));
  }
  error_code ec;
  connection_->socket.close(ec);
  if (resolver_) resolver_->cancel();
}

void ClientStream::Finish(Status status, bool reusable, bool transport_error) {
  if (finished_) return;
  finished_ = true;
  if (timer_) timer_->cancel();
  if (transport_error && !cancel_requested_.load()) state_->metrics.errors.Inc();
  // Back to the pool first, so that a caller that sends its next request from on_end (or right
  // after it) reuses this connection.
  release_reusable_ = reusable;
  if (connection_ && !cancel_write_pending_) {  // else the CANCEL write's handler releases it
    state_->pool.Release(std::move(connection_), reusable);
  }
  DeliverEnd(std::move(status));
  std::lock_guard lock(gate_mu_);
  callbacks_ = {};  // what they captured goes now, not with the last reference
}

std::optional<HostAndPort> SplitAddress(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") return {};
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return {};
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  uint16_t number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0) {
    return {};
  }
  return HostAndPort{std::string(host), number};
}

}  // namespace dynobs::runtime::request_plane_internal
