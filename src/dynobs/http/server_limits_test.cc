// Limits, timeouts, start-up errors and shutdown of http::Server.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dynobs/http/internal/server_test_util.h"
#include "dynobs/http/server.h"

namespace dynobs::http {
namespace {

using internal::Get;
using internal::RawResponse;
using internal::TestClient;
using internal::WaitFor;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSlowRequest = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n";

class ServerLimitsTest : public internal::ServerTest {
 protected:
  ServerLimitsTest() {
    router_.Add("GET", "/hello",
                [](Request&&, const Responder& respond) { respond(Response::Text(200, "hello")); });
    router_.Add("POST", "/echo", [](Request&& request, const Responder& respond) {
      respond(Response::Text(200, std::move(request.body)));
    });
    // Hands the responder to the test, which answers when it likes.
    router_.Add("GET", "/block",
                [this](Request&&, Responder respond) { blocked_.set_value(std::move(respond)); });
  }

  // Sends `request` on a fresh connection, expects `status` with `Connection: close`, then the
  // server closing the connection; returns the body.
  std::string ExpectRejected(std::string_view request, int status) {
    TestClient client(port());
    EXPECT_TRUE(client.Send(request));
    const std::optional<RawResponse> response = client.Read();
    if (!response) {
      ADD_FAILURE() << "no response, expected " << status;
      return "";
    }
    EXPECT_EQ(response->status, status) << response->body;
    EXPECT_EQ(response->HeaderValue("Connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
    return response->body;
  }

  // The responder of the request that reached /block.
  Responder Blocked() {
    std::future<Responder> future = blocked_.get_future();
    EXPECT_EQ(future.wait_for(TestClient::kTimeout), std::future_status::ready);
    return future.get();
  }

  std::promise<Responder> blocked_;
};

TEST_F(ServerLimitsTest, MalformedRequestLineIs400) {
  StartServer();
  EXPECT_EQ(ExpectRejected("GET /a b HTTP/1.1\r\n\r\n", 400), "Bad Request: bad version");
  EXPECT_TRUE(ExpectRejected("G(T / HTTP/1.1\r\n\r\n", 400).starts_with("Bad Request: "));
  EXPECT_TRUE(ExpectRejected("GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400).starts_with("Bad "));
}

TEST_F(ServerLimitsTest, OversizedHeadIs431) {
  StartServer({.max_header_bytes = 1024});
  const std::string big(2000, 'a');
  ExpectRejected("GET /hello HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n", 431);
  ExpectRejected("GET /" + big + " HTTP/1.1\r\n\r\n", 431);
  // Just under the limit is fine.
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nX-Big: " + std::string(900, 'a') + "\r\n\r\n"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerLimitsTest, OversizedBodyIs413) {
  StartServer({.max_body_bytes = 16});
  ExpectRejected("POST /echo HTTP/1.1\r\nContent-Length: 17\r\n\r\n", 413);
  ExpectRejected("POST /echo HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n", 413);
  ExpectRejected(
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
      413);
  const std::optional<RawResponse> ok = [this] {
    TestClient client(port());
    client.Send("POST /echo HTTP/1.1\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    return client.Read();
  }();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "0123456789abcdef");
}

TEST_F(ServerLimitsTest, HostileInputIsAnsweredAndClosed) {
  StartServer({.max_header_bytes = 4096});
  std::string many_headers = "GET /hello HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) many_headers += "A: b\r\n";
  ExpectRejected(many_headers + "\r\n", 431);
  ExpectRejected("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                     std::string(30000, 'x') + "\r\na\r\n0\r\n\r\n",
                 413);
  ExpectRejected(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), 400);
  ExpectRejected("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  EXPECT_TRUE(WaitFor([this] { return server_->active_connections() == 0; }));
}

TEST_F(ServerLimitsTest, UnsupportedTransferEncodingIs501) {
  StartServer();
  ExpectRejected("POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyz", 501);
  ExpectRejected("POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
}

TEST_F(ServerLimitsTest, ConflictingLengthsAre400) {
  StartServer();
  ExpectRejected(
      "POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400);
  ExpectRejected("POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
}

TEST_F(ServerLimitsTest, SlowClientGets408WhileOthersAreServed) {
  StartServer({.header_timeout = milliseconds(300)});
  const Clock::time_point start = Clock::now();
  std::optional<RawResponse> slow_answer;
  Clock::time_point slow_answered_at;
  bool slow_closed = false;
  std::jthread slow([&] {
    TestClient client(port());
    for (char byte : kSlowRequest) {
      ASSERT_TRUE(client.Send(std::string_view(&byte, 1)));
      slow_answer = client.Read(milliseconds(100));  // also paces the client
      if (slow_answer) break;
    }
    slow_answered_at = Clock::now();
    slow_closed = client.WaitClosed();
  });
  ASSERT_TRUE(WaitFor([this] { return server_->active_connections() == 1; }));
  const std::optional<RawResponse> fast = Get(port(), "/hello");
  const Clock::time_point fast_answered_at = Clock::now();
  slow.join();

  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->body, "hello");
  ASSERT_TRUE(slow_answer);
  EXPECT_EQ(slow_answer->status, 408);
  EXPECT_TRUE(slow_closed);
  EXPECT_GE(slow_answered_at - start, milliseconds(300));
  EXPECT_LT(fast_answered_at, slow_answered_at);
}

TEST_F(ServerLimitsTest, SlowBodyGets408) {
  StartServer({.body_timeout = milliseconds(200)});
  ExpectRejected("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", 408);
}

TEST_F(ServerLimitsTest, IdleKeepAliveConnectionClosesSilently) {
  StartServer({.idle_timeout = milliseconds(200)});
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(client.Read());
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_FALSE(client.Read(milliseconds(0)));
}

TEST_F(ServerLimitsTest, MaxConnectionsIsEnforced) {
  StartServer({.max_connections = 2});
  TestClient first(port());
  TestClient second(port());
  ASSERT_TRUE(WaitFor([this] { return server_->active_connections() == 2; }));
  TestClient third(port());
  third.Send("GET /hello HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(third.Read());
  EXPECT_EQ(server_->active_connections(), 2u);

  first.Close();
  ASSERT_TRUE(WaitFor([this] { return server_->active_connections() == 1; }));
  const std::optional<RawResponse> response = Get(port(), "/hello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerLimitsTest, StartOnPortInUseFailsWithClearMessage) {
  StartServer();
  Server second(loop_, {.host = "127.0.0.1", .port = port()}, router_.AsHandler());
  const Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "cannot bind 127.0.0.1:" + std::to_string(port()) + ": Address already in use");
  EXPECT_EQ(server_->Start().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ServerLimitsTest, StopWaitsForRequestInFlightAndRefusesNewConnections) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /block HTTP/1.1\r\n\r\n"));
  Responder respond = Blocked();
  auto stopped = std::async(std::launch::async, [this] { server_->Stop(milliseconds(10000)); });
  ASSERT_TRUE(WaitFor([this] { return !TestClient(port()).connected(); }));
  EXPECT_EQ(stopped.wait_for(milliseconds(100)), std::future_status::timeout);

  respond(Response::Text(200, "finished"));
  EXPECT_EQ(stopped.wait_for(TestClient::kTimeout), std::future_status::ready);
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(response->HeaderValue("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_FALSE(TestClient(port()).connected());
}

TEST_F(ServerLimitsTest, StopClosesIdleConnectionsAtOnce) {
  StartServer();
  TestClient idle(port());
  ASSERT_TRUE(idle.Send("GET /hello HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(idle.Read());
  TestClient silent(port());  // connected, never sent a byte
  ASSERT_TRUE(WaitFor([this] { return server_->active_connections() == 2; }));

  const Clock::time_point start = Clock::now();
  server_->Stop(milliseconds(10000));
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(server_->active_connections(), 0u);
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_TRUE(silent.WaitClosed());
}

TEST_F(ServerLimitsTest, StopClosesRequestsStillInFlightAfterGrace) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /block HTTP/1.1\r\n\r\n"));
  Responder respond = Blocked();

  const Clock::time_point start = Clock::now();
  server_->Stop(milliseconds(200));
  EXPECT_GE(Clock::now() - start, milliseconds(200));
  EXPECT_EQ(server_->active_connections(), 0u);
  EXPECT_FALSE(client.Read());
  respond(Response::Text(200, "too late"));  // harmless
}

}  // namespace
}  // namespace dynobs::http
