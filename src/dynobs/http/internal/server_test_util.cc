#include "dynobs/http/internal/server_test_util.h"

namespace dynobs::http::internal {

Server& ServerTest::StartServer(ServerOptions options) {
  options.host = "127.0.0.1";
  server_ = std::make_unique<Server>(loop_, std::move(options), router_.AsHandler());
  const Status status = server_->Start();
  EXPECT_TRUE(status.ok()) << status.ToString();
  return *server_;
}

}  // namespace dynobs::http::internal
