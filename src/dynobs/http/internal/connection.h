#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "dynobs/http/internal/connection_set.h"
#include "dynobs/http/message.h"
#include "dynobs/http/server.h"

namespace dynobs::http::internal {

// What every connection of one server shares. Outlives the server while connections remain.
struct ServerContext {
  ServerContext(ServerOptions options, Handler handler)
      : options(std::move(options)), handler(std::move(handler)) {}

  const ServerOptions options;
  const Handler handler;
  ConnectionSet connections;
};

// Serves `socket` until it closes, as coroutines on the socket's executor, which must be a
// strand. Adds the connection to `context->connections`, or closes the socket if the set is
// draining. Returns at once.
void ServeConnection(boost::asio::ip::tcp::socket socket,
                     const std::shared_ptr<ServerContext>& context);

}  // namespace dynobs::http::internal
