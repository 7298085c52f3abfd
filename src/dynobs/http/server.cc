#include "dynobs/http/server.h"

#include <atomic>
#include <cassert>
#include <future>
#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dynobs/http/internal/connection.h"
#include "dynobs/http/internal/io_context.h"
#include "dynobs/http/internal/listen.h"

namespace dynobs::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// After a failed accept (out of descriptors, most likely) the listener waits this long.
constexpr std::chrono::milliseconds kAcceptBackoff{10};

using internal::Listen;

// Accepts until the acceptor closes. Each connection gets its own strand; over max_connections,
// a new connection is closed at once.
asio::awaitable<void> Accept(asio::io_context& io, std::shared_ptr<tcp::acceptor> acceptor,
                             std::shared_ptr<internal::ServerContext> context) {
  asio::steady_timer backoff(acceptor->get_executor());
  while (acceptor->is_open()) {
    auto [ec, socket] =
        co_await acceptor->async_accept(asio::any_io_executor(asio::make_strand(io)), kAsTuple);
    if (!acceptor->is_open()) break;
    if (ec) {
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kAsTuple);
      continue;
    }
    if (context->connections.size() >= context->options.max_connections) continue;
    internal::ServeConnection(std::move(socket), context);
  }
}

}  // namespace

struct Server::Impl {
  Impl(EventLoop& loop, ServerOptions options, Handler handler)
      : loop(loop),
        context(std::make_shared<internal::ServerContext>(std::move(options), std::move(handler))) {
  }

  // Closes the acceptor on its strand and waits for that, so that no connection is accepted
  // after Stop(). With the loop not running nothing else can touch it.
  void CloseAcceptor() {
    if (!loop.running()) {
      error_code ec;
      acceptor->close(ec);
      return;
    }
    std::promise<void> closed;
    asio::post(acceptor->get_executor(), [this, &closed] {
      error_code ec;
      acceptor->close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
  }

  enum class State { kNew, kRunning, kStopped };

  EventLoop& loop;
  const std::shared_ptr<internal::ServerContext> context;
  std::mutex mu;  // serializes Start() and Stop()
  State state = State::kNew;
  std::shared_ptr<tcp::acceptor> acceptor;
  std::atomic<uint16_t> port{0};
};

Server::Server(EventLoop& loop, ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(handler))) {
  assert(impl_->context->handler);
}

Server::~Server() { Stop(); }  // NOLINT(bugprone-exception-escape): see server.h

Status Server::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kNew) return FailedPreconditionError("server already started");
  asio::io_context& io = internal::IoContext(impl_->loop);
  auto acceptor = std::make_shared<tcp::acceptor>(asio::make_strand(io));
  const ServerOptions& options = impl_->context->options;
  StatusOr<uint16_t> port = Listen(*acceptor, options.host, options.port);
  if (!port.ok()) return port.status();
  impl_->port = *port;
  impl_->acceptor = acceptor;
  impl_->state = Impl::State::kRunning;
  asio::co_spawn(acceptor->get_executor(), Accept(io, acceptor, impl_->context), asio::detached);
  return Status::Ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::Stop(std::chrono::milliseconds grace) {
  assert(!impl_->loop.InLoopThread());
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kRunning) return;
  impl_->state = Impl::State::kStopped;
  impl_->CloseAcceptor();
  internal::ConnectionSet& connections = impl_->context->connections;
  connections.DrainAll();
  if (!impl_->loop.running()) return;  // connections go with the loop's queued work
  if (!connections.WaitEmpty(std::chrono::steady_clock::now() + grace)) {
    connections.AbortAll();
    connections.WaitEmpty();
  }
}

size_t Server::active_connections() const { return impl_->context->connections.size(); }

}  // namespace dynobs::http
