#include "dynobs/runtime/system_status_server.h"

#include <gtest/gtest.h>

#include <future>
#include <regex>
#include <thread>

#include "dynobs/common/gzip.h"
#include "dynobs/http/testing/test_client.h"

namespace dynobs::runtime {
namespace {

using http::testing::Get;
using http::testing::RawResponse;
using http::testing::TestClient;

class SystemStatusServerTest : public ::testing::Test {
 protected:
  SystemStatusServerTest() { loop_.Start(); }
  ~SystemStatusServerTest() override {
    if (server_) server_->Stop(std::chrono::milliseconds(0));
  }

  void Start(SystemStatusServer::Options options = {},
             health::HealthStatus starting = health::HealthStatus::kNotReady) {
    drt_ = *DistributedRuntime::Create({.instance_id = 0xbeef, .starting_status = starting});
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<SystemStatusServer>(loop_, drt_, options);
    ASSERT_TRUE(server_->Start().ok());
  }
  std::optional<RawResponse> Request(std::string_view head) {
    TestClient client(server_->port());
    client.Send(head);
    return client.Read();
  }

  http::EventLoop loop_{2};
  std::shared_ptr<DistributedRuntime> drt_;
  std::unique_ptr<SystemStatusServer> server_;
};

TEST_F(SystemStatusServerTest, MetricsInPrometheusTextByDefault) {
  Start();
  auto r = Get(server_->port(), "/metrics");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->HeaderValue("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("dynamo_component_uptime_seconds{worker_id=\"beef\"}"), std::string::npos);
  EXPECT_NE(r->body.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_EQ(r->body.find("# EOF"), std::string::npos);
}

TEST_F(SystemStatusServerTest, MetricsNegotiatesOpenMetricsAndGzip) {
  Start();
  auto r = Request(
      "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,"
      "text/plain;version=0.0.4;q=0.5\r\nAccept-Encoding: gzip\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->HeaderValue("Content-Type"),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(r->HeaderValue("Content-Encoding"), "gzip");
  auto body = GzipDecompress(r->body);
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(body->ends_with("# EOF\n"));
  EXPECT_NE(body->find("# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total "),
            std::string::npos);
}

TEST_F(SystemStatusServerTest, HealthFollowsTheStartingStatus) {
  Start();
  for (const char* path : {"/health", "/ready"}) {
    auto r = Get(server_->port(), path);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 503) << path;
    EXPECT_TRUE(std::regex_match(
        r->body, std::regex(R"(\{"endpoints":\{\},"status":"notready","uptime":\{"nanos":\d+,)"
                            R"("secs":\d+\}\})")))
        << r->body;
  }
  drt_->health().SetSystemStatus(health::HealthStatus::kReady);
  auto r = Get(server_->port(), "/health");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"status\":\"ready\""), std::string::npos);
}

// Decided difference 5: a process that is not ready is still live.
TEST_F(SystemStatusServerTest, LiveIsNotReadiness) {
  Start();
  auto r = Get(server_->port(), "/live");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"message":"Service is live","status":"live"})");
  EXPECT_EQ(r->HeaderValue("Content-Type"), "application/json");
  drt_->health().SetShuttingDown();
  r = Get(server_->port(), "/live");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"message":"Service is shutting down","status":"shutting_down"})");
}

TEST_F(SystemStatusServerTest, UnknownRoutesAndWrongMethods) {
  Start();
  auto r = Get(server_->port(), "/nope");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "Route not found");
  r = Request("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
}

TEST_F(SystemStatusServerTest, CustomPaths) {
  Start({.health_path = "/healthz", .live_path = "/livez"}, health::HealthStatus::kReady);
  EXPECT_EQ(Get(server_->port(), "/healthz")->status, 200);
  EXPECT_EQ(Get(server_->port(), "/livez")->status, 200);
  EXPECT_EQ(Get(server_->port(), "/health")->status, 404);
  EXPECT_EQ(Get(server_->port(), "/live")->status, 404);
}

TEST_F(SystemStatusServerTest, MetricsTokenGuardsOnlyMetrics) {
  Start({.metrics_token = "s3cret"});
  auto none = Get(server_->port(), "/metrics");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->HeaderValue("WWW-Authenticate"), "Bearer");
  auto wrong = Request("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n");
  EXPECT_EQ(wrong->status, 401);
  auto right = Request("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: bearer s3cret\r\n\r\n");
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(Get(server_->port(), "/health")->status, 503);  // probes need no token
  EXPECT_EQ(Get(server_->port(), "/live")->status, 200);
}

// DESIGN.md, Threads: a slow scrape never holds /health or /live back.
TEST_F(SystemStatusServerTest, HealthAnswersWhileAScrapeRenders) {
  Start();
  std::promise<void> rendering;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(drt_->metrics()
                  .registry()
                  ->CreateCallbackGauge({.name = "slow_gauge", .help = "h"},
                                        [&, once = std::make_shared<std::once_flag>()] {
                                          std::call_once(*once, [&] { rendering.set_value(); });
                                          gate.wait();
                                          return 1.0;
                                        })
                  .ok());
  std::thread scrape([&] { EXPECT_EQ(Get(server_->port(), "/metrics")->status, 200); });
  rendering.get_future().wait();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get(server_->port(), "/health")->status, 503);
  EXPECT_EQ(Get(server_->port(), "/live")->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  release.set_value();
  scrape.join();
}

TEST_F(SystemStatusServerTest, TooManyQueuedScrapesAreRefused) {
  Start({.max_queued_scrapes = 1});
  std::promise<void> rendering;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto once = std::make_shared<std::once_flag>();
  ASSERT_TRUE(drt_->metrics()
                  .registry()
                  ->CreateCallbackGauge({.name = "slow_gauge", .help = "h"},
                                        [&, once] {
                                          std::call_once(*once, [&] { rendering.set_value(); });
                                          gate.wait();
                                          return 1.0;
                                        })
                  .ok());
  std::thread first([&] { EXPECT_EQ(Get(server_->port(), "/metrics")->status, 200); });
  rendering.get_future().wait();  // one scrape renders; the queue (one place) is empty
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<TestClient>(server_->port()));
    clients.back()->Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  int refused = 0;
  TestClient* waiting = nullptr;
  for (auto& c : clients) {
    auto r = c->Read(std::chrono::milliseconds(500));
    if (!r) {
      waiting = c.get();  // the one that took the queue's place
      continue;
    }
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->HeaderValue("Retry-After"), "1");
    ++refused;
  }
  EXPECT_EQ(refused, 2);
  release.set_value();
  first.join();
  ASSERT_NE(waiting, nullptr);
  auto r = waiting->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace dynobs::runtime
