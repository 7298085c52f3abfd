#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dynobs/runtime/request_plane/internal/frame_reader.h"
#include "dynobs/runtime/request_plane/internal/server_state.h"

namespace dynobs::runtime::request_plane_internal {

class ServerStream;

// One accepted connection of a RequestPlaneServer. A read coroutine takes REQUEST and CANCEL
// frames and runs one stream at a time; a write coroutine sends what streams queue in the
// output, in batches (everything queued since the last write goes out in one write).
//
// Thread safety: the socket, the reader and active_ are touched only on the connection's strand;
// the output is guarded by its mutex (streams append from any thread).
// Lifetime: shared by the coroutines and the streams; the server keeps a weak reference.
class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // Guarded by `mu`. Streams append encoded frames; the writer takes them all at once.
  struct Output {
    std::mutex mu;
    std::string pending;
    std::vector<std::shared_ptr<ServerStream>> ends;  // streams whose END is in `pending`
    uint64_t appended = 0;     // bytes ever appended (offsets for prologue_written())
    bool closed = false;       // the connection is gone: nothing more goes out
    bool close_after = false;  // close once `pending` is written (a closing END)
    bool writer_waiting = false;
  };

  ServerConnection(Socket socket, std::shared_ptr<ServerState> server);
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Accepts the connection into the server (or refuses it over max_connections) and starts
  // the coroutines. Call once, right after construction.
  void Start();
  // Closes the connection from any thread; streams on it see a lost connection.
  void Abort();

  [[nodiscard]] Output& output() { return out_; }
  [[nodiscard]] const std::shared_ptr<ServerState>& server() const { return server_; }
  // With output().mu held, after appending: whether the writer must be woken (then call
  // WakeWriter() after unlocking).
  bool TakeWakeup() { return std::exchange(out_.writer_waiting, false); }
  void WakeWriter();
  // Strand only: bytes the socket has accepted so far.
  [[nodiscard]] uint64_t written() const { return written_; }
  // Strand only: forget `stream` if it is the active one.
  void ReleaseActive(const ServerStream* stream);
  [[nodiscard]] boost::asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  boost::asio::awaitable<void> ReadLoop();
  boost::asio::awaitable<void> WriteLoop();
  boost::asio::awaitable<void> RefuseConnection();
  // Returns false when the connection must stop reading.
  bool HandleFrame(FrameType type, std::string_view payload);
  void HandleRequest(std::string_view payload);
  // An END for a request no stream accounts for; `closing` closes after it is written.
  void Refuse(Rejection reason, const Status& status, bool closing);
  void Close();        // strand
  void FinishClose();  // strand: the active stream learns of the loss; the server forgets us

  Socket socket_;
  std::shared_ptr<ServerState> server_;
  boost::asio::steady_timer wake_;
  FrameReader reader_;
  Output out_;
  std::shared_ptr<ServerStream> active_;
  uint64_t id_ = 0;
  uint64_t written_ = 0;
  bool closed_ = false;
  bool close_finished_ = false;
  bool writing_ = false;
};

}  // namespace dynobs::runtime::request_plane_internal
