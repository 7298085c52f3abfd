#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/http/server.h"
#include "dynobs/http/testing/test_client.h"

namespace dynobs::http::internal {

using testing::Get;
using testing::RawResponse;
using testing::TestClient;
using testing::WaitFor;

// A running EventLoop and, after StartServer(), a server on 127.0.0.1 with the routes in
// `router_`. Members go in reverse order: the server stops before the loop.
class ServerTest : public ::testing::Test {
 protected:
  ServerTest() { loop_.Start(); }

  Server& StartServer(ServerOptions options = {});
  [[nodiscard]] uint16_t port() const { return server_->port(); }

  EventLoop loop_{2};
  Router router_;
  std::unique_ptr<Server> server_;
};

}  // namespace dynobs::http::internal
