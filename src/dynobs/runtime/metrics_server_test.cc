#include "dynobs/runtime/metrics_server.h"

#include <gtest/gtest.h>

#include "dynobs/http/testing/test_client.h"

namespace dynobs::runtime {
namespace {

TEST(MetricsServerTest, ServesOnlyItsRegistry) {
  http::EventLoop loop(1);
  loop.Start();
  auto registry = std::make_shared<metrics::Registry>();
  ASSERT_TRUE(registry->CreateCallbackCounter({.name = "kvbm_matched_tokens", .help = "h"},
                                              [] { return 32.0; })
                  .ok());
  MetricsServer server(loop, registry, "127.0.0.1", 0);
  ASSERT_TRUE(server.Start().ok());
  auto r = http::testing::Get(server.port(), "/metrics");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "# HELP kvbm_matched_tokens h\n# TYPE kvbm_matched_tokens counter\n"
                     "kvbm_matched_tokens 32\n");
  EXPECT_EQ(http::testing::Get(server.port(), "/health")->status, 404);
  server.Stop();
}

}  // namespace
}  // namespace dynobs::runtime
