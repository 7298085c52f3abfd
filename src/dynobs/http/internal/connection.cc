#include "dynobs/http/internal/connection.h"

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

namespace dynobs::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Parser = bhttp::request_parser<bhttp::string_body>;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// After answering with `Connection: close` the server reads and drops what the client still
// sends, for at most this long and this much, so that closing does not reset the connection
// before the client has read the answer.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 64 * 1024;
// Room in the read buffer beyond the header limit, so that the parser's limit is the one hit.
constexpr size_t kBufferSlack = 4096;
constexpr size_t kMaxFieldBytes = 60 * 1024;

// What the connection is doing; decides what a timeout or Drain() does to it.
enum class Phase { kIdle, kHead, kBody, kHandling, kWriting, kStreaming, kLinger };
// How one request/response exchange leaves the connection.
enum class Next { kKeepAlive, kLingerAndClose, kClose };

// How to frame a response.
struct ReplyTo {
  unsigned version = 11;
  bool head = false;
  bool keep_alive = false;
};

Clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  const Clock::time_point now = Clock::now();
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
  return timeout >= left ? Clock::time_point::max() : now + timeout;
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

bool HasControlCharacter(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Whether a handler's header may go out as is: the server owns framing, CR/LF would let a value
// inject headers, and Beast cannot hold a field of 64 KiB or more (it would throw).
bool IsWritable(const Header& header) {
  const bhttp::field field = bhttp::string_to_field(header.name);
  return !header.name.empty() && header.name.size() + header.value.size() < kMaxFieldBytes &&
         header.name.find_first_of(" \t:") == std::string::npos &&
         !HasControlCharacter(header.name) && !HasControlCharacter(header.value) &&
         field != bhttp::field::content_length && field != bhttp::field::transfer_encoding &&
         field != bhttp::field::connection;
}

bhttp::response<bhttp::string_body> ToMessage(Response response, const ReplyTo& to) {
  if (response.status < 200 || response.status > 599) {
    response = Response::Text(500, "Internal Server Error: invalid status code");
  }
  bhttp::response<bhttp::string_body> message;
  message.version(to.version);
  message.result(static_cast<unsigned>(response.status));
  for (const Header& header : response.headers) {
    if (IsWritable(header)) message.insert(header.name, header.value);
  }
  if (!to.keep_alive) {
    message.set(bhttp::field::connection, "close");
  } else if (to.version < 11) {
    message.set(bhttp::field::connection, "keep-alive");
  }
  if (response.status == 204 || response.status == 304) return message;  // never a body
  message.content_length(response.body.size());
  if (!to.head) message.body() = std::move(response.body);
  return message;
}

Request ToRequest(bhttp::request<bhttp::string_body>&& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.path = request.target.substr(0, request.target.find('?'));
  for (const auto& field : message) {
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  return request;
}

// Beast de-chunks; any other transfer coding would hand the handler an encoded body, or (without
// "chunked" last) leave the body to be read as the next request.
bool HasUnsupportedTransferEncoding(const bhttp::request<bhttp::string_body>& message) {
  const auto [begin, end] = message.equal_range(bhttp::field::transfer_encoding);
  for (auto field = begin; field != end; ++field) {
    if (!beast::iequals(field->value(), "chunked")) return true;
  }
  return false;
}

bool ExpectsContinue(const bhttp::request<bhttp::string_body>& message) {
  return message.version() >= 11 && beast::iequals(message[bhttp::field::expect], "100-continue");
}

class Session;

// A streamed body between the handler's writer (any thread) and the session (its strand).
class StreamShared {
 public:
  StreamShared(std::weak_ptr<Session> session, bool chunked, size_t limit)
      : session_(std::move(session)), chunked_(chunked), limit_(limit) {}

  bool Write(std::string_view data);
  void End();
  void OnClose(std::function<void()> callback);
  bool closed() const {
    std::lock_guard lock(mu_);
    return gone_ || ended_;
  }
  // Session side: the client is gone (or the connection closed); runs the OnClose callbacks.
  void Gone();
  // Session side: takes what is queued; `waiting` when there is nothing to do yet (the next
  // Write or End wakes the session).
  struct Take {
    bool gone = false;
    bool ended = false;
  };
  Take TakeInto(std::string* batch);

 private:
  void Wake();  // posts to the session's strand

  const std::weak_ptr<Session> session_;
  const bool chunked_;
  const size_t limit_;
  mutable std::mutex mu_;
  std::string pending_;
  bool ended_ = false;
  bool gone_ = false;
  bool waiting_ = false;
  std::vector<std::function<void()>> on_close_;
};

class SessionBodyWriter final : public BodyWriter {
 public:
  explicit SessionBodyWriter(std::shared_ptr<StreamShared> shared) : shared_(std::move(shared)) {}
  ~SessionBodyWriter() override { shared_->End(); }
  bool Write(std::string data) override { return shared_->Write(data); }
  void End() override { shared_->End(); }
  void OnClose(std::function<void()> callback) override { shared_->OnClose(std::move(callback)); }
  [[nodiscard]] bool closed() const override { return shared_->closed(); }

 private:
  std::shared_ptr<StreamShared> shared_;
};

// Shared by the copies of one request's Responder: the first call wins, later ones do nothing;
// if every copy is dropped unanswered, the request is answered 500.
class AnswerSlot {
 public:
  explicit AnswerSlot(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  ~AnswerSlot() {  // NOLINT(bugprone-exception-escape): throws only std::bad_alloc
    if (!answered_) Answer(Response::Text(500, "Internal Server Error: request dropped"));
  }
  AnswerSlot(const AnswerSlot&) = delete;
  AnswerSlot& operator=(const AnswerSlot&) = delete;

  void Answer(Response response);

 private:
  std::weak_ptr<Session> session_;
  std::atomic<bool> answered_{false};
};

// One connection: Run() serves requests one at a time; Watchdog() enforces the deadline of the
// current phase. Both are coroutines on the socket's strand, as is every touch of the members
// below; Drain(), Abort() and Deliver() post there.
class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerContext> context)
      : socket_(std::move(socket)),
        context_(std::move(context)),
        options_(context_->options),
        buffer_(options_.max_header_bytes + kBufferSlack),
        deadline_timer_(socket_.get_executor()),
        answer_signal_(socket_.get_executor(), Clock::time_point::max()),
        stream_signal_(socket_.get_executor(), Clock::time_point::max()) {
    error_code ec;
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    if (!ec) remote_address_ = FormatEndpoint(remote);
    // Streamed bodies are many small writes: without this, Nagle's algorithm holds each one
    // until the client's (delayed) ACK of the previous, about 40 ms.
    socket_.set_option(tcp::no_delay(true), ec);
  }
  ~Session() override { context_->connections.Remove(this); }

  void Drain() override;
  void Abort() override;
  // From any thread: the handler's answer to the request in progress.
  void Deliver(Response response);
  // From any thread: a streamed body has something new (data, its end, the client gone).
  void WakeStream();

  // The parameters keep the session alive as long as the coroutine.
  asio::awaitable<void> Run(std::shared_ptr<Session> /*self*/);
  asio::awaitable<void> Watchdog(std::shared_ptr<Session> /*self*/);

 private:
  asio::awaitable<Next> Exchange(bool first);
  asio::awaitable<bool> AwaitRequest(bool first);
  asio::awaitable<error_code> ReadRequest(Parser& parser);
  asio::awaitable<Response> Handle(Request request);
  asio::awaitable<Next> Write(Response response, ReplyTo to);
  asio::awaitable<Next> WriteStreamed(Response response, ReplyTo to);
  asio::awaitable<void> WatchClient(std::shared_ptr<StreamShared> stream);
  asio::awaitable<void> Linger();
  [[nodiscard]] std::optional<Response> ErrorAnswer(error_code ec) const;
  void SetDeadline(std::chrono::milliseconds timeout);
  void OnDeadline();
  void Close();

  tcp::socket socket_;
  const std::shared_ptr<ServerContext> context_;
  const ServerOptions& options_;
  std::string remote_address_;
  beast::flat_buffer buffer_;
  Phase phase_ = Phase::kIdle;
  bool draining_ = false;
  bool aborted_ = false;
  asio::steady_timer deadline_timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  asio::steady_timer answer_signal_;  // cancelled when answer_ is set or on Abort()
  std::optional<Response> answer_;
  asio::steady_timer stream_signal_;      // cancelled when the streamed body has news
  std::shared_ptr<StreamShared> stream_;  // while a body streams
  bool watching_ = false;                 // WatchClient's read is outstanding
  bool stop_watching_ = false;            // WriteStreamed wants WatchClient to return
};

void AnswerSlot::Answer(Response response) {
  if (answered_.exchange(true)) return;
  if (auto session = session_.lock()) session->Deliver(std::move(response));
}

bool StreamShared::Write(std::string_view data) {
  if (data.empty()) return !closed();
  std::unique_lock lock(mu_);
  if (gone_ || ended_) return false;
  if (pending_.size() + data.size() > limit_) {  // the client reads too slowly
    lock.unlock();
    Gone();
    Wake();
    return false;
  }
  if (chunked_) {
    char size[20];
    const auto end = std::to_chars(size, size + sizeof size, data.size(), 16).ptr;
    pending_.append(size, end).append("\r\n");
  }
  pending_.append(data);
  if (chunked_) pending_.append("\r\n");
  const bool wake = std::exchange(waiting_, false);
  lock.unlock();
  if (wake) Wake();
  return true;
}

void StreamShared::End() {
  std::unique_lock lock(mu_);
  if (ended_) return;
  ended_ = true;
  // An ended body has no close to report: the callbacks (and what they hold) go now.
  std::vector<std::function<void()>> spent;
  spent.swap(on_close_);
  const bool wake = std::exchange(waiting_, false);
  lock.unlock();
  if (wake) Wake();
}

void StreamShared::OnClose(std::function<void()> callback) {
  std::unique_lock lock(mu_);
  if (!gone_) {
    on_close_.push_back(std::move(callback));
    return;
  }
  lock.unlock();
  callback();
}

void StreamShared::Gone() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mu_);
    if (gone_ || ended_) {
      gone_ = true;
      return;  // an ended body has nobody left to tell
    }
    gone_ = true;
    callbacks.swap(on_close_);
  }
  for (const auto& callback : callbacks) callback();
}

StreamShared::Take StreamShared::TakeInto(std::string* batch) {
  std::lock_guard lock(mu_);
  batch->swap(pending_);
  Take take{.gone = gone_, .ended = ended_};
  if (batch->empty() && !take.gone && !take.ended) waiting_ = true;
  return take;
}

void StreamShared::Wake() {
  if (auto session = session_.lock()) session->WakeStream();
}

void Session::WakeStream() {
  asio::post(socket_.get_executor(),
             [self = shared_from_this()] { self->stream_signal_.cancel(); });
}

void Session::Drain() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->draining_ = true;
    if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kLinger) {
      error_code ec;
      self->socket_.cancel(ec);
    }
  });
}

void Session::Abort() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->aborted_ = true;
    self->Close();
    self->answer_signal_.cancel();
    self->stream_signal_.cancel();
  });
}

void Session::Deliver(Response response) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), response = std::move(response)]() mutable {
               self->answer_ = std::move(response);
               self->answer_signal_.cancel();
             });
}

asio::awaitable<void> Session::Run(std::shared_ptr<Session> self) {
  asio::co_spawn(socket_.get_executor(), Watchdog(self), asio::detached);
  Next next = Next::kKeepAlive;
  for (bool first = true; next == Next::kKeepAlive; first = false) next = co_await Exchange(first);
  if (next == Next::kLingerAndClose) co_await Linger();
  Close();
}

asio::awaitable<void> Session::Watchdog(std::shared_ptr<Session> /*self*/) {
  while (socket_.is_open()) {
    deadline_timer_.expires_at(deadline_);
    co_await deadline_timer_.async_wait(kAsTuple);
    if (deadline_ <= Clock::now()) OnDeadline();
  }
}

asio::awaitable<Next> Session::Exchange(bool first) {
  if (!co_await AwaitRequest(first)) co_return Next::kClose;
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser.body_limit(options_.max_body_bytes);
  if (const error_code ec = co_await ReadRequest(parser)) {
    std::optional<Response> answer = ErrorAnswer(ec);
    if (!answer) co_return Next::kClose;
    co_return co_await Write(std::move(*answer), ReplyTo{});
  }
  const ReplyTo to{
      .version = parser.get().version(),
      .head = parser.get().method() == bhttp::verb::head,
      .keep_alive = parser.get().keep_alive(),
  };
  Response response = co_await Handle(ToRequest(parser.release(), remote_address_));
  if (aborted_) co_return Next::kClose;
  co_return co_await Write(std::move(response), {to.version, to.head, to.keep_alive && !draining_});
}

// Waits for the first byte of a request. The first request's head must arrive within
// header_timeout of the accept; later ones may start within idle_timeout.
asio::awaitable<bool> Session::AwaitRequest(bool first) {
  phase_ = Phase::kIdle;
  if (buffer_.size() == 0) {
    if (draining_) co_return false;
    SetDeadline(first ? options_.header_timeout : options_.idle_timeout);
    const auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, kAsTuple);
    if (ec) co_return false;
  }
  phase_ = Phase::kHead;
  if (!first) SetDeadline(options_.header_timeout);
  co_return true;
}

asio::awaitable<error_code> Session::ReadRequest(Parser& parser) {
  auto [ec, unused] = co_await bhttp::async_read_header(socket_, buffer_, parser, kAsTuple);
  if (ec) co_return ec;
  if (HasUnsupportedTransferEncoding(parser.get())) co_return asio::error::operation_not_supported;
  if (parser.is_done()) co_return error_code{};
  if (ExpectsContinue(parser.get())) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    std::tie(ec, unused) = co_await asio::async_write(socket_, asio::buffer(kContinue), kAsTuple);
    if (ec) co_return ec;
  }
  phase_ = Phase::kBody;
  SetDeadline(options_.body_timeout);
  std::tie(ec, unused) = co_await bhttp::async_read(socket_, buffer_, parser, kAsTuple);
  co_return ec;
}

// The answer to a request that could not be read, or nullopt to close without one (the client
// has gone, or the server is closing the connection).
std::optional<Response> Session::ErrorAnswer(error_code ec) const {
  if (aborted_) return std::nullopt;
  if (timed_out_) return Response::Text(408, "Request Timeout");
  // The buffer overflows when a head, or a chunk header in the body, does not end in time.
  const bool overflow = ec == bhttp::error::buffer_overflow;
  if (ec == bhttp::error::header_limit || (overflow && phase_ == Phase::kHead)) {
    return Response::Text(431, "Request Header Fields Too Large");
  }
  if (ec == bhttp::error::body_limit || overflow) return Response::Text(413, "Payload Too Large");
  if (ec == asio::error::operation_not_supported) {
    return Response::Text(501, "Not Implemented: unsupported Transfer-Encoding");
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    return std::nullopt;
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return Response::Text(400, "Bad Request: " + ec.message());
  }
  return std::nullopt;  // a socket error: the client is gone
}

asio::awaitable<Response> Session::Handle(Request request) {
  phase_ = Phase::kHandling;
  deadline_ = Clock::time_point::max();
  answer_.reset();
  auto slot = std::make_shared<AnswerSlot>(weak_from_this());
  try {
    context_->handler(std::move(request),
                      [slot](Response response) { slot->Answer(std::move(response)); });
  } catch (...) {
    slot->Answer(Response::Text(500, "Internal Server Error"));
  }
  slot.reset();
  while (!answer_ && !aborted_) co_await answer_signal_.async_wait(kAsTuple);
  co_return answer_ ? std::move(*answer_) : Response{};
}

asio::awaitable<Next> Session::Write(Response response, ReplyTo to) {
  if (response.stream && response.status >= 200 && response.status <= 599 &&
      response.status != 204 && response.status != 304) {
    co_return co_await WriteStreamed(std::move(response), to);
  }
  bhttp::response<bhttp::string_body> message = ToMessage(std::move(response), to);
  phase_ = Phase::kWriting;
  SetDeadline(options_.write_timeout);
  const auto [ec, unused] = co_await bhttp::async_write(socket_, message, kAsTuple);
  if (ec) co_return Next::kClose;
  co_return to.keep_alive ? Next::kKeepAlive : Next::kLingerAndClose;
}

// The head at once, then the handler's chunks as they come, until it ends the body or the
// client goes. A read runs meanwhile (WatchClient) so that a client that disconnects is seen
// while the handler is still producing.
asio::awaitable<Next> Session::WriteStreamed(Response response, ReplyTo to) {
  const bool chunked = to.version >= 11;
  if (!chunked) to.keep_alive = false;  // HTTP/1.0: the body ends when the connection does
  bhttp::response<bhttp::empty_body> head;
  head.version(to.version);
  head.result(static_cast<unsigned>(response.status));
  for (const Header& header : response.headers) {
    if (IsWritable(header)) head.insert(header.name, header.value);
  }
  if (!to.keep_alive) {
    head.set(bhttp::field::connection, "close");
  } else if (to.version < 11) {
    head.set(bhttp::field::connection, "keep-alive");
  }
  if (chunked) head.chunked(true);
  auto stream = std::make_shared<StreamShared>(weak_from_this(), chunked && !to.head,
                                               options_.max_stream_pending_bytes);
  phase_ = Phase::kWriting;
  SetDeadline(options_.write_timeout);
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  auto [ec, unused] = co_await bhttp::async_write_header(socket_, serializer, kAsTuple);
  if (ec || to.head) {  // HEAD: the head is the whole answer
    stream->Gone();
    try {
      response.stream(std::make_shared<SessionBodyWriter>(stream));
    } catch (...) {
    }
    if (ec) co_return Next::kClose;
    co_return to.keep_alive ? Next::kKeepAlive : Next::kLingerAndClose;
  }
  stream_ = stream;
  phase_ = Phase::kStreaming;
  deadline_ = Clock::time_point::max();
  deadline_timer_.cancel();
  watching_ = true;
  stop_watching_ = false;
  asio::co_spawn(socket_.get_executor(), WatchClient(stream), asio::detached);
  try {
    response.stream(std::make_shared<SessionBodyWriter>(stream));
  } catch (...) {
    stream->End();  // a handler that throws ends its body
  }
  bool client_gone = false;
  std::string batch;
  for (;;) {
    const StreamShared::Take take = stream->TakeInto(&batch);
    if (!batch.empty()) {
      SetDeadline(options_.write_timeout);
      std::tie(ec, unused) = co_await asio::async_write(socket_, asio::buffer(batch), kAsTuple);
      deadline_ = Clock::time_point::max();
      batch.clear();
      if (ec) {
        client_gone = true;
        break;
      }
      continue;
    }
    if (take.gone || aborted_ || !socket_.is_open()) {
      client_gone = true;
      break;
    }
    if (take.ended) {
      if (chunked) {
        SetDeadline(options_.write_timeout);
        std::tie(ec, unused) =
            co_await asio::async_write(socket_, asio::buffer("0\r\n\r\n", 5), kAsTuple);
        deadline_ = Clock::time_point::max();
        client_gone = static_cast<bool>(ec);
      }
      break;
    }
    stream_signal_.expires_at(Clock::time_point::max());
    co_await stream_signal_.async_wait(kAsTuple);
  }
  if (client_gone) stream->Gone();
  // Stop watching: the read must be over before the next request is read.
  if (watching_) {
    stop_watching_ = true;
    error_code cancel_error;
    socket_.cancel(cancel_error);
    while (watching_) {
      stream_signal_.expires_at(Clock::time_point::max());
      co_await stream_signal_.async_wait(kAsTuple);
    }
  }
  stream_.reset();
  if (client_gone || aborted_ || !chunked)
    co_return client_gone ? Next::kClose : Next::kLingerAndClose;
  co_return to.keep_alive && !draining_ ? Next::kKeepAlive : Next::kLingerAndClose;
}

// While a body streams: reads what the client sends (kept for the next request) and notices
// when it goes. Stops when cancelled by WriteStreamed, or when enough is buffered.
asio::awaitable<void> Session::WatchClient(std::shared_ptr<StreamShared> stream) {
  for (;;) {
    auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(4096), kAsTuple);
    if (!ec) {
      buffer_.commit(n);
      // Asked to stop (the body ended; this read completed before the cancel reached it), or
      // enough is buffered: pipelined requests wait for their turn.
      if (!stop_watching_ && buffer_.size() < options_.max_header_bytes) continue;
      break;
    }
    // EOF or reset: the client left. Aborted: WriteStreamed or Close() stopped the read.
    if (ec != asio::error::operation_aborted) stream->Gone();
    break;
  }
  watching_ = false;
  stream_signal_.cancel();
}

asio::awaitable<void> Session::Linger() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  phase_ = Phase::kLinger;
  SetDeadline(kLingerTime);
  std::array<char, 4096> scratch;
  for (size_t dropped = 0; dropped < kLingerBytes && !draining_;) {
    const auto [read_error, n] = co_await socket_.async_read_some(asio::buffer(scratch), kAsTuple);
    if (read_error) break;
    dropped += n;
  }
}

void Session::SetDeadline(std::chrono::milliseconds timeout) {
  deadline_ = DeadlineAfter(timeout);
  timed_out_ = false;
  deadline_timer_.cancel();  // the watchdog wakes and waits for the new deadline
}

// A composed read may be between two reads when the deadline passes, so cancel() alone could miss
// it. Shutting down the receive side ends every later read too, and a 408 can still be written;
// in other phases there is nothing left to say, so the socket closes.
void Session::OnDeadline() {
  timed_out_ = true;
  deadline_ = Clock::time_point::max();
  error_code ec;
  if (phase_ == Phase::kHead || phase_ == Phase::kBody) {
    socket_.shutdown(tcp::socket::shutdown_receive, ec);
    socket_.cancel(ec);
  } else {
    socket_.close(ec);
  }
}

void Session::Close() {
  error_code ec;
  socket_.close(ec);
  deadline_timer_.cancel();
  if (stream_) {
    stream_->Gone();
    stream_signal_.cancel();
  }
}

}  // namespace

void ServeConnection(tcp::socket socket, const std::shared_ptr<ServerContext>& context) {
  const auto executor = socket.get_executor();
  auto session = std::make_shared<Session>(std::move(socket), context);
  if (!context->connections.Add(session)) return;
  asio::co_spawn(executor, session->Run(session), asio::detached);
}

}  // namespace dynobs::http::internal
