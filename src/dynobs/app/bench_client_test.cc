#include "dynobs/app/bench_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/http/server.h"

namespace dynobs::app {
namespace {

constexpr std::string_view kDelta = R"(data: {"choices":[{"delta":{"content":"hi"}}]})";

// A real HTTP server: POST /stream answers three text events and [DONE] as server-sent events,
// POST /unary a JSON body with usage, POST /fail a 500, POST /stall nothing at all.
class BenchClientTest : public ::testing::Test {
 protected:
  BenchClientTest() {
    loop_.Start();
    router_.Add("POST", "/stream", [this](http::Request&&, http::Responder respond) {
      http::Response r{.status = 200, .headers = {{"Content-Type", "text/event-stream"}}};
      r.stream = [this](std::shared_ptr<http::BodyWriter> writer) {
        std::lock_guard lock(mu_);
        producers_.emplace_back([writer] {
          for (int i = 0; i < 3; ++i) {
            writer->Write(std::string(kDelta) + "\n\n");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
          }
          writer->Write("data: [DONE]\n\n");
          writer->End();
        });
      };
      respond(std::move(r));
    });
    router_.Add("POST", "/unary", [](http::Request&&, http::Responder respond) {
      respond(http::Response::Json(200, R"({"usage":{"completion_tokens":5}})"));
    });
    router_.Add("POST", "/fail", [](http::Request&&, http::Responder respond) {
      respond(http::Response::Json(500, R"({"error":{}})"));
    });
    router_.Add("POST", "/stall", [this](http::Request&&, http::Responder respond) {
      stalled_.push_back(std::move(respond));  // answered at teardown
    });
    server_ = std::make_unique<http::Server>(loop_, http::ServerOptions{.host = "127.0.0.1"},
                                             router_.AsHandler());
    EXPECT_TRUE(server_->Start().ok());
  }
  ~BenchClientTest() override {
    {
      std::lock_guard lock(mu_);
      for (auto& t : producers_) t.join();
    }
    server_->Stop(std::chrono::milliseconds(100));
    loop_.Stop();
  }

  std::vector<BenchSample> Run(std::string_view path, int connections, int requests,
                               bool stream = true, int port = 0,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const std::string request =
        "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    BenchClientOptions o{.port = port != 0 ? port : server_->port(),
                         .connections = connections,
                         .requests = requests,
                         .stream = stream,
                         .timeout = timeout,
                         .request = [&](int) { return request; }};
    next_ = 0;
    done_ = 0;
    return RunBenchClient(o, next_, done_);
  }

  http::EventLoop loop_{1};
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::vector<http::Responder> stalled_;
  std::mutex mu_;
  std::vector<std::thread> producers_;  // the /stream writers, joined at teardown
  std::atomic<int> next_{0}, done_{0};
};

TEST_F(BenchClientTest, StreamsAreTimedEventByEvent) {
  auto samples = Run("/stream", 4, 20);
  ASSERT_EQ(samples.size(), 20u);
  EXPECT_EQ(done_.load(), 20);
  std::set<int> ids;
  for (const auto& s : samples) {
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(s.tokens, 3u);  // [DONE] carries no text
    EXPECT_EQ(s.itl_ms.size(), 2u);
    // The third event leaves the server 4 ms after the request arrived (2 ms between events);
    // each interval alone may shrink when an earlier event is read late.
    double last_event_ms = s.ttft_ms;
    for (double itl : s.itl_ms) {
      EXPECT_GE(itl, 0.0);
      last_event_ms += itl;
    }
    EXPECT_GT(s.ttft_ms, 0);
    EXPECT_GE(last_event_ms, 3.9);
    ids.insert(s.id);
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 19);
}

TEST_F(BenchClientTest, UnaryAnswersCountTheirUsage) {
  auto samples = Run("/unary", 2, 10, /*stream=*/false);
  ASSERT_EQ(samples.size(), 10u);
  for (const auto& s : samples) {
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(s.tokens, 5u);
  }
}

TEST_F(BenchClientTest, ErrorStatusesAreFailedRequests) {
  auto samples = Run("/fail", 3, 9);
  ASSERT_EQ(samples.size(), 9u);
  for (const auto& s : samples) EXPECT_FALSE(s.ok);
}

TEST_F(BenchClientTest, NobodyListeningFailsEveryRequestAtOnce) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port that was free a moment ago
  sockaddr_in a{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  const auto start = std::chrono::steady_clock::now();
  auto samples = Run("/stream", 4, 1000, true, ntohs(a.sin_port));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(samples.size(), 1000u);  // no recursion, no hang
  for (const auto& s : samples) EXPECT_FALSE(s.ok);
}

TEST_F(BenchClientTest, ASilentServerTimesOut) {
  const auto start = std::chrono::steady_clock::now();
  auto samples = Run("/stall", 2, 2, true, 0, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(samples.size(), 2u);
  for (const auto& s : samples) EXPECT_FALSE(s.ok);
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(CarriesTextTest, ChatAndCompletionChunks) {
  EXPECT_TRUE(CarriesText(R"(data: {"choices":[{"delta":{"content":"x"}}]})"));
  EXPECT_FALSE(CarriesText(R"(data: {"choices":[{"delta":{"content":""}}]})"));
  EXPECT_TRUE(CarriesText(R"(data: {"choices":[{"text":"y"}]})"));
  EXPECT_FALSE(CarriesText(R"(data: {"choices":[{"text":""}]})"));
  EXPECT_FALSE(CarriesText("data: [DONE]"));
}

}  // namespace
}  // namespace dynobs::app
