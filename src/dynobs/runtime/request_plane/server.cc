#include "dynobs/runtime/request_plane/server.h"

#include <atomic>
#include <cassert>
#include <exception>
#include <future>
#include <mutex>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dynobs/http/internal/listen.h"
#include "dynobs/runtime/request_plane/internal/server_connection.h"
#include "dynobs/runtime/request_plane/internal/server_state.h"

namespace dynobs::runtime {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using request_plane_internal::EndpointEntry;
using request_plane_internal::ServerConnection;
using request_plane_internal::ServerState;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kAcceptBackoff{10};
constexpr std::chrono::seconds kCloseWait{5};

using http::internal::HostPort;
using http::internal::Listen;

asio::awaitable<void> Accept(std::shared_ptr<tcp::acceptor> acceptor,
                             std::shared_ptr<ServerState> state) {
  asio::steady_timer backoff(acceptor->get_executor());
  while (acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(
        asio::any_io_executor(asio::make_strand(state->io)), kAsTuple);
    if (!acceptor->is_open()) break;
    if (ec) {  // out of descriptors, most likely: let some close
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kAsTuple);
      continue;
    }
    std::make_shared<ServerConnection>(std::move(socket), state)->Start();
  }
}

std::string LabelValue(const metrics::Labels& labels, std::string_view name) {
  for (const auto& label : labels) {
    if (label.name == name) return label.value;
  }
  return {};
}

}  // namespace

struct RequestPlaneServer::Listener {
  std::mutex mu;  // serializes Start() and Stop()
  enum class State { kNew, kRunning, kStopped } state = State::kNew;
  std::shared_ptr<tcp::acceptor> acceptor;
  std::atomic<uint16_t> port{0};
};

RequestPlaneServer::RequestPlaneServer(http::EventLoop& loop, RequestPlaneServerOptions options)
    : loop_(loop),
      state_(std::make_shared<ServerState>(loop, std::move(options))),
      listener_(std::make_unique<Listener>()) {}

RequestPlaneServer::~RequestPlaneServer() { Stop(); }  // NOLINT(bugprone-exception-escape)

Status RequestPlaneServer::AddEndpoint(std::string name, EndpointHandler handler,
                                       const metrics::MetricsScope& endpoint_scope,
                                       const EndpointOptions& options) {
  if (!handler) return InvalidArgumentError("endpoint '" + name + "' has no handler");
  if (state_->FindEndpoint(name)) {
    return AlreadyExistsError("endpoint '" + name + "' is already served");
  }
  auto entry = std::make_shared<EndpointEntry>();
  entry->name = std::move(name);
  entry->handler = std::move(handler);
  if (state_->options.observability) {
    auto metrics = WorkHandlerMetrics::Create(endpoint_scope, options.metrics_labels);
    if (!metrics.ok()) return metrics.status();
    entry->metrics = std::move(*metrics);
    entry->perf = EnsureWorkHandlerPerf(endpoint_scope.registry());
  }
  const metrics::Labels& auto_labels = endpoint_scope.auto_labels();
  auto pick = [&auto_labels](const std::string& given, std::string_view label) {
    return given.empty() ? LabelValue(auto_labels, label) : given;
  };
  entry->namespace_name = pick(options.namespace_name, "dynamo_namespace");
  entry->component_name = pick(options.component_name, "dynamo_component");
  entry->endpoint_name = pick(options.endpoint_name, "dynamo_endpoint");
  entry->instance_id = endpoint_scope.worker_id();
  return state_->AddEndpoint(std::move(entry));
}

Status RequestPlaneServer::Start() {
  std::lock_guard lock(listener_->mu);
  if (listener_->state != Listener::State::kNew) {
    return FailedPreconditionError("request-plane server already started");
  }
  auto acceptor = std::make_shared<tcp::acceptor>(asio::make_strand(state_->io));
  StatusOr<uint16_t> port = Listen(*acceptor, state_->options.host, state_->options.port);
  if (!port.ok()) return port.status();
  listener_->port = *port;
  listener_->acceptor = acceptor;
  listener_->state = Listener::State::kRunning;
  asio::co_spawn(acceptor->get_executor(), Accept(acceptor, state_), asio::detached);
  return Status::Ok();
}

uint16_t RequestPlaneServer::port() const { return listener_->port; }

std::string RequestPlaneServer::address() const {
  std::string host = state_->options.advertise_host;
  if (host.empty()) host = state_->options.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  return HostPort(host, port());
}

void RequestPlaneServer::Stop(std::chrono::milliseconds grace) {
  assert(!loop_.InLoopThread());
  std::lock_guard lock(listener_->mu);
  if (listener_->state != Listener::State::kRunning) return;
  listener_->state = Listener::State::kStopped;
  state_->stopping = true;
  std::shared_ptr<tcp::acceptor> acceptor = listener_->acceptor;
  if (!loop_.running()) {
    error_code ec;
    acceptor->close(ec);
    return;  // connections go with the loop's queued work
  }
  std::promise<void> closed;
  asio::post(acceptor->get_executor(), [&acceptor, &closed] {
    error_code ec;
    acceptor->close(ec);
    closed.set_value();
  });
  closed.get_future().wait();
  state_->WaitIdle(std::chrono::steady_clock::now() + grace);
  for (const auto& connection : state_->Connections()) connection->Abort();
  state_->WaitNoConnections(std::chrono::steady_clock::now() + kCloseWait);
}

bool RequestPlaneServer::WaitIdle(std::chrono::milliseconds timeout) const {
  return state_->WaitIdle(std::chrono::steady_clock::now() + timeout);
}

size_t RequestPlaneServer::active_streams() const { return state_->active_streams(); }

size_t RequestPlaneServer::connections() const { return state_->connection_count(); }

}  // namespace dynobs::runtime
