#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/internal/connection_pool.h"

namespace dynobs::runtime::request_plane_internal {

// What a client's streams share; outlives the client while streams remain.
struct ClientState {
  ClientState(boost::asio::io_context& io, RequestPlaneClientOptions options);

  boost::asio::io_context& io;
  const RequestPlaneClientOptions options;
  const RequestPlaneMetrics& metrics;  // options.metrics, or RequestPlaneMetrics::Disabled()
  ConnectionPool pool;
};

// One caller-side stream: a coroutine on its connection's strand connects if needed, writes
// the REQUEST, reads frames and hands items to the callbacks until END, then gives the
// connection back to the pool (or closes it).
//
// Callbacks go through a gate (a mutex held while they run) so that Cancel() from any thread
// can promise that no item callback runs after it returns; the thread running a callback is
// remembered, so that Cancel() from inside a callback does not deadlock.
class ClientStream : public std::enable_shared_from_this<ClientStream> {
 public:
  ClientStream(std::shared_ptr<ClientState> state, std::string_view endpoint,
               RequestHeaders headers, std::string body, StreamCallbacks callbacks);

  // Starts the coroutine on `connection` (from ConnectionPool::Acquire).
  void Start(std::shared_ptr<ClientConnection> connection);
  // Ends the stream with `status` on the event loop without touching the network.
  void FailSoon(Status status);
  // StreamHandle::Cancel.
  void Cancel();
  [[nodiscard]] bool ended() const;

 private:
  enum class Parse { kMore, kEnded };

  boost::asio::awaitable<void> Run();
  boost::asio::awaitable<Status> Connect();
  boost::asio::awaitable<void> WriteRequest();
  boost::asio::awaitable<void> ReadResponses();
  boost::asio::awaitable<void> Watch();
  Parse ParseFrames();
  // Hands an ITEM to on_item, taking the gate once per read.
  void DeliverItem(std::unique_lock<std::mutex>& gate, std::string_view payload);
  void ReleaseGate(std::unique_lock<std::mutex>& gate);
  void NoteAnswer();  // the worker's first PROLOGUE or END: send_seconds
  void OnEnd(std::string_view payload);
  void OnCancelOnStrand();
  void SendCancel();
  void EnsureWatching();
  [[nodiscard]] int64_t NextDeadline() const;
  void TimeOut();
  // Strand: the stream is over; `reusable`: the connection may carry another stream.
  void Finish(Status status, bool reusable, bool transport_error);
  // Runs on_end once (false if it already ran); also from inside a callback on this stream.
  bool DeliverEnd(Status status);

  const std::shared_ptr<ClientState> state_;
  const int64_t start_mono_nanos_;
  std::string endpoint_;
  RequestHeaders headers_;
  std::string body_;

  // The gate.
  mutable std::mutex gate_mu_;
  StreamCallbacks callbacks_;
  bool ended_ = false;  // guarded by gate_mu_
  std::atomic<std::thread::id> delivering_{};
  std::atomic<bool> cancel_requested_{false};

  boost::asio::any_io_executor strand_;  // set by Start(), before the handle is returned

  // Strand only.
  std::shared_ptr<ClientConnection> connection_;
  std::optional<boost::asio::steady_timer> timer_;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  std::optional<Status> timed_out_;
  int64_t send_start_mono_nanos_ = 0;
  int64_t last_activity_mono_nanos_ = 0;
  int64_t connect_deadline_mono_nanos_ = 0;
  int64_t cancel_mono_nanos_ = 0;
  bool connecting_ = false;
  bool cancel_write_pending_ = false;
  bool release_reusable_ = false;
  bool request_written_ = false;
  bool cancel_sent_ = false;
  bool got_prologue_ = false;
  bool got_item_ = false;
  bool watching_ = false;
  bool finished_ = false;
};

// What Generate() returns.
class ClientStreamHandle final : public StreamHandle {
 public:
  explicit ClientStreamHandle(std::shared_ptr<ClientStream> stream) : stream_(std::move(stream)) {}
  ~ClientStreamHandle() override { stream_->Cancel(); }  // NOLINT(bugprone-exception-escape)
  ClientStreamHandle(const ClientStreamHandle&) = delete;
  ClientStreamHandle& operator=(const ClientStreamHandle&) = delete;
  void Cancel() override { stream_->Cancel(); }

 private:
  std::shared_ptr<ClientStream> stream_;
};

// Splits "host:port" / "[v6]:port"; nullopt when malformed.
struct HostAndPort {
  std::string host;
  uint16_t port = 0;
};
[[nodiscard]] std::optional<HostAndPort> SplitAddress(std::string_view address);

}  // namespace dynobs::runtime::request_plane_internal
