#include "dynobs/http/server.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/http/internal/server_test_util.h"

namespace dynobs::http {
namespace {

using internal::Get;
using internal::RawResponse;
using internal::TestClient;
using internal::WaitFor;

constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n";

class ServerProtocolTest : public internal::ServerTest {
 protected:
  ServerProtocolTest() {
    router_.Add("GET", "/hello", [](Request&&, const Responder& respond) {
      Response response = Response::Text(200, "hello");
      response.headers.push_back({"X-Test", "1"});
      respond(std::move(response));
    });
    router_.Add("POST", "/echo", [](Request&& request, const Responder& respond) {
      respond(Response::Text(200, request.method + " " + request.target + " " + request.body));
    });
  }
};

TEST_F(ServerProtocolTest, GetAnswersStatusHeadersAndBody) {
  StartServer();
  const std::optional<RawResponse> response = Get(port(), "/hello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(response->HeaderValue("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->HeaderValue("Content-Length"), "5");
  EXPECT_EQ(response->HeaderValue("X-Test"), "1");
  EXPECT_EQ(response->HeaderValue("Connection"), "");
  EXPECT_EQ(response->body, "hello");
}

TEST_F(ServerProtocolTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  TestClient client(port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.Send(kGetHello));
    const std::optional<RawResponse> response = client.Read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->body, "hello");
  }
  EXPECT_EQ(server_->active_connections(), 1u);
}

TEST_F(ServerProtocolTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->HeaderValue("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ServerProtocolTest, Http10ClosesUnlessKeepAliveIsAsked) {
  StartServer();
  TestClient once(port());
  ASSERT_TRUE(once.Send("GET /hello HTTP/1.0\r\n\r\n"));
  std::optional<RawResponse> response = once.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.0 200 OK");
  EXPECT_EQ(response->HeaderValue("Connection"), "close");
  EXPECT_TRUE(once.WaitClosed());

  TestClient kept(port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(kept.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    response = kept.Read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->HeaderValue("Connection"), "keep-alive");
  }
}

TEST_F(ServerProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
  std::vector<std::jthread> workers;
  router_.Add("GET", "/slow", [&workers](Request&&, Responder respond) {
    workers.emplace_back([respond = std::move(respond)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      respond(Response::Text(200, "slow"));
    });
  });
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(
      client.Send("GET /slow HTTP/1.1\r\n\r\n"
                  "POST /echo?n=2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                  "GET /hello HTTP/1.1\r\n\r\n"));
  for (std::string_view expected : {"slow", "POST /echo?n=2 abc", "hello"}) {
    const std::optional<RawResponse> response = client.Read();
    ASSERT_TRUE(response) << expected;
    EXPECT_EQ(response->body, expected);
  }
}

TEST_F(ServerProtocolTest, UnknownPathIs404) {
  StartServer();
  const std::optional<RawResponse> response = Get(port(), "/nope");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "Route not found");
}

TEST_F(ServerProtocolTest, OtherMethodIs405WithAllow) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("DELETE /hello HTTP/1.1\r\n\r\n"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->HeaderValue("Allow"), "GET, HEAD");
  EXPECT_EQ(response->body, "Method not allowed");
}

TEST_F(ServerProtocolTest, HeadHasContentLengthButNoBody) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("HEAD /hello HTTP/1.1\r\n\r\n"));
  const std::optional<RawResponse> head = client.Read(TestClient::kTimeout, /*with_body=*/false);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->HeaderValue("Content-Length"), "5");
  // Had a body been sent, it would be read as the next response's head.
  ASSERT_TRUE(client.Send(kGetHello));
  const std::optional<RawResponse> get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello");
}

TEST_F(ServerProtocolTest, PostBodyReachesHandler) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /echo hello world");
}

TEST_F(ServerProtocolTest, ChunkedBodyIsDechunked) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /echo hello world");
}

TEST_F(ServerProtocolTest, ExpectContinueGets100First) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  const std::optional<RawResponse> interim = client.Read(TestClient::kTimeout, false);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("hi"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /echo hi");
}

TEST_F(ServerProtocolTest, RequestCarriesPathHeadersAndRemoteAddress) {
  Request seen;
  router_.Add("GET", "/inspect", [&seen](Request&& request, const Responder& respond) {
    seen = std::move(request);
    respond(Response::Json(200, "{}"));
  });
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /inspect?a=1 HTTP/1.1\r\nX-Request-Id: abc\r\n\r\n"));
  const std::optional<RawResponse> response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->HeaderValue("Content-Type"), "application/json");
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/inspect?a=1");
  EXPECT_EQ(seen.path, "/inspect");
  EXPECT_EQ(seen.HeaderValue("x-request-id"), "abc");
  EXPECT_TRUE(seen.remote_address.starts_with("127.0.0.1:")) << seen.remote_address;
}

TEST_F(ServerProtocolTest, ResponderCalledLaterFromAnotherThread) {
  std::vector<std::jthread> workers;
  router_.Add("GET", "/later", [&workers](Request&&, Responder respond) {
    workers.emplace_back([respond = std::move(respond)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      respond(Response::Text(202, "done"));
      respond(Response::Text(500, "ignored"));
    });
  });
  StartServer();
  const std::optional<RawResponse> response = Get(port(), "/later");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "done");
}

TEST_F(ServerProtocolTest, DroppedResponderOrThrowingHandlerAnswers500) {
  router_.Add("GET", "/drop", [](Request&&, const Responder&) {});
  router_.Add("GET", "/throw",
              [](Request&&, const Responder&) { throw std::runtime_error("boom"); });
  StartServer();
  for (std::string_view target : {"/drop", "/throw"}) {
    const std::optional<RawResponse> response = Get(port(), target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 500) << target;
  }
}

TEST_F(ServerProtocolTest, FramingHeadersFromHandlerAreDropped) {
  router_.Add("GET", "/framing", [](Request&&, const Responder& respond) {
    Response response = Response::Text(200, "ok");
    response.headers.push_back({"Content-Length", "99"});
    response.headers.push_back({"X-Injected", "a\r\nSet-Cookie: x=1"});
    respond(std::move(response));
  });
  StartServer();
  const std::optional<RawResponse> response = Get(port(), "/framing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->HeaderValue("Content-Length"), "2");
  EXPECT_EQ(response->HeaderValue("X-Injected"), "");
  EXPECT_EQ(response->HeaderValue("Set-Cookie"), "");
  EXPECT_EQ(response->body, "ok");
}

TEST_F(ServerProtocolTest, StatusDecidesBodyAndInvalidStatusIs500) {
  router_.Add("GET", "/status", [](Request&& request, const Responder& respond) {
    Response response =
        Response::Text(std::stoi(std::string(request.HeaderValue("X-Status"))), "x");
    response.headers.push_back({"X-Huge", std::string(70000, 'h')});
    respond(std::move(response));
  });
  StartServer();
  TestClient client(port());
  for (const auto& [sent, status, length] :
       {std::tuple{204, 204, ""}, {404, 404, "1"}, {1000, 500, "42"}, {101, 500, "42"}}) {
    ASSERT_TRUE(
        client.Send("GET /status HTTP/1.1\r\nX-Status: " + std::to_string(sent) + "\r\n\r\n"));
    const std::optional<RawResponse> response = client.Read();
    ASSERT_TRUE(response) << sent;
    EXPECT_EQ(response->status, status) << sent;
    EXPECT_EQ(response->HeaderValue("Content-Length"), length) << sent;
    EXPECT_EQ(response->HeaderValue("X-Huge"), "") << sent;
  }
}

TEST_F(ServerProtocolTest, ManyConcurrentClientsGetTheirOwnAnswers) {
  router_.Add("GET", "/id", [](Request&& request, const Responder& respond) {
    respond(Response::Text(200, std::string(request.HeaderValue("X-Id"))));
  });
  StartServer();
  constexpr int kThreads = 8;
  constexpr int kRequests = 200;
  std::atomic<int> correct{0};
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::unique_ptr<TestClient> client;
        for (int i = 0; i < kRequests; ++i) {
          if (i % 50 == 0) client = std::make_unique<TestClient>(port());  // new connections too
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          if (!client->Send("GET /id HTTP/1.1\r\nX-Id: " + id + "\r\n\r\n")) return;
          const std::optional<RawResponse> response = client->Read();
          if (response && response->status == 200 && response->body == id) ++correct;
        }
      });
    }
  }
  EXPECT_EQ(correct.load(), kThreads * kRequests);
  EXPECT_TRUE(WaitFor([&] { return server_->active_connections() <= kThreads; }));
}

}  // namespace
}  // namespace dynobs::http
