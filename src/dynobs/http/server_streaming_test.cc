// Streamed response bodies: chunks as the handler writes them, client disconnects seen while
// streaming, keep-alive after a streamed body, HEAD, HTTP/1.0, slow clients, dropped writers.
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "dynobs/http/internal/server_test_util.h"

namespace dynobs::http::internal {
namespace {

constexpr std::string_view kGet = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

// A handler that streams `count` events from a thread of its own, one every `pause`, and
// records what Write said and whether OnClose ran.
struct Producer {
  int count = 3;
  std::chrono::milliseconds pause{0};
  std::atomic<int> written{0};
  std::atomic<bool> refused{false};
  std::promise<void> closed;
  std::atomic<bool> closed_set{false};
  std::vector<std::thread> threads;

  Handler AsHandler() {
    return [this](Request&&, Responder respond) {
      Response r{.status = 200, .headers = {{"Content-Type", "text/event-stream"}}};
      r.stream = [this](std::shared_ptr<BodyWriter> writer) {
        writer->OnClose([this] {
          if (!closed_set.exchange(true)) closed.set_value();
        });
        threads.emplace_back([this, writer] {
          for (int i = 0; i < count; ++i) {
            if (!writer->Write("data: " + std::to_string(i) + "\n\n")) {
              refused = true;
              return;
            }
            ++written;
            if (pause.count() > 0) std::this_thread::sleep_for(pause);
          }
          writer->End();
        });
      };
      respond(std::move(r));
    };
  }
  ~Producer() {
    for (auto& t : threads) t.join();
  }
};

class StreamingTest : public ServerTest {};

TEST_F(StreamingTest, ChunksArriveAsWrittenThenTheBodyEnds) {
  Producer producer;
  router_.Add("GET", "/events", producer.AsHandler());
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send(kGet));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->HeaderValue("Transfer-Encoding"), "chunked");
  EXPECT_EQ(response->HeaderValue("Content-Type"), "text/event-stream");
  EXPECT_EQ(response->HeaderValue("Content-Length"), "");
  EXPECT_EQ(response->body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  EXPECT_EQ(producer.written, 3);
}

TEST_F(StreamingTest, EachWriteIsSentWithoutWaitingForTheNext) {
  Producer producer;
  producer.count = 2;
  producer.pause = std::chrono::milliseconds(400);
  router_.Add("GET", "/events", producer.AsHandler());
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send(kGet));
  ASSERT_TRUE(client.Read(TestClient::kTimeout, /*with_body=*/false));
  auto start = std::chrono::steady_clock::now();
  auto first = client.ReadChunk();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "data: 0\n\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(client.ReadChunk(), "data: 1\n\n");
  EXPECT_EQ(client.ReadChunk(), "");  // the last chunk
}

TEST_F(StreamingTest, AClientThatDisconnectsIsSeenWhileTheHandlerStillProduces) {
  Producer producer;
  producer.count = 1000;
  producer.pause = std::chrono::milliseconds(5);
  router_.Add("GET", "/events", producer.AsHandler());
  StartServer();
  {
    TestClient client(port());
    ASSERT_TRUE(client.Send(kGet));
    ASSERT_TRUE(client.Read(TestClient::kTimeout, false));
    ASSERT_TRUE(client.ReadChunk());
  }  // closed
  ASSERT_EQ(producer.closed.get_future().wait_for(std::chrono::seconds(2)),
            std::future_status::ready);
  for (auto& t : producer.threads) t.join();
  producer.threads.clear();
  EXPECT_TRUE(producer.refused);
  EXPECT_LT(producer.written, 1000);
  EXPECT_TRUE(WaitFor([&] { return server_->active_connections() == 0; }));
}

TEST_F(StreamingTest, TheConnectionServesTheNextRequestAfterAStreamedBody) {
  Producer producer;
  router_.Add("GET", "/events", producer.AsHandler());
  router_.Add("GET", "/plain",
              [](Request&&, Responder respond) { respond(Response::Text(200, "plain")); });
  StartServer();
  TestClient client(port());
  // Both requests at once (pipelined): the second waits for the streamed body to end.
  ASSERT_TRUE(client.Send(std::string(kGet) + "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->chunks.size(), 3u);
  auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "plain");
}

// The client sends its next request the moment a body ends: it may reach the server while the
// server still watches the connection for a disconnect, and must then be served, not stalled.
TEST_F(StreamingTest, BackToBackStreamsOnOneConnectionAreAllServed) {
  router_.Add("GET", "/events", [](Request&&, Responder respond) {
    Response r;
    r.stream = [](std::shared_ptr<BodyWriter> writer) {
      writer->Write("data: x\n\n");
      writer->End();
    };
    respond(std::move(r));
  });
  StartServer();
  TestClient client(port());
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(client.Send(kGet));
    auto response = client.Read(std::chrono::milliseconds(2000));
    ASSERT_TRUE(response) << "request " << i << " was not answered";
    ASSERT_EQ(response->body, "data: x\n\n");
  }
}

TEST_F(StreamingTest, HeadGetsTheHeadAndTheHandlerSeesAClosedWriter) {
  std::promise<bool> closed_at_once;
  router_.Add("HEAD", "/events", [&](Request&&, Responder respond) {
    Response r;
    r.stream = [&](std::shared_ptr<BodyWriter> writer) {
      closed_at_once.set_value(writer->closed() && !writer->Write("x"));
    };
    respond(std::move(r));
  });
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = client.Read(TestClient::kTimeout, false);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(closed_at_once.get_future().get());
}

TEST_F(StreamingTest, Http10GetsTheRawBodyAndTheConnectionCloses) {
  Producer producer;
  router_.Add("GET", "/events", producer.AsHandler());
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send("GET /events HTTP/1.0\r\n\r\n"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->HeaderValue("Transfer-Encoding"), "");
  EXPECT_EQ(response->body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST_F(StreamingTest, AClientThatDoesNotReadIsCutOffAtThePendingLimit) {
  Producer producer;
  producer.count = 1000000;
  router_.Add("GET", "/events", producer.AsHandler());
  ServerOptions options;
  options.max_stream_pending_bytes = 64 * 1024;
  StartServer(options);
  TestClient client(port());
  ASSERT_TRUE(client.Send(kGet));  // and never read
  ASSERT_EQ(producer.closed.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  for (auto& t : producer.threads) t.join();
  producer.threads.clear();
  EXPECT_TRUE(producer.refused);
  EXPECT_LT(producer.written, 1000000);
}

TEST_F(StreamingTest, ADroppedWriterEndsTheBody) {
  router_.Add("GET", "/events", [](Request&&, Responder respond) {
    Response r;
    r.stream = [](std::shared_ptr<BodyWriter> writer) { writer->Write("only"); };
    respond(std::move(r));
  });
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send(kGet));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "only");
}

TEST_F(StreamingTest, StopEndsAStreamThatNeverFinishes) {
  std::shared_ptr<BodyWriter> kept;
  std::promise<void> closed;
  router_.Add("GET", "/events", [&](Request&&, Responder respond) {
    Response r;
    r.stream = [&](std::shared_ptr<BodyWriter> writer) {
      writer->OnClose([&] { closed.set_value(); });
      writer->Write("first");
      kept = writer;  // never ended
    };
    respond(std::move(r));
  });
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send(kGet));
  ASSERT_TRUE(client.Read(TestClient::kTimeout, false));
  ASSERT_EQ(client.ReadChunk(), "first");
  server_->Stop(std::chrono::milliseconds(100));
  EXPECT_EQ(closed.get_future().wait_for(std::chrono::seconds(2)), std::future_status::ready);
  EXPECT_TRUE(kept->closed());
  EXPECT_TRUE(client.WaitClosed());
}

}  // namespace
}  // namespace dynobs::http::internal
