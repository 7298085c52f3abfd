// Streams end to end on loopback: items in order, many streams at once, headers and trace
// context, lifecycle logs, connection reuse.
#include <atomic>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/common/clock.h"
#include "dynobs/logging/filter.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/runtime/request_plane/testing/request_plane_fixture.h"
#include "dynobs/tracing/span.h"

namespace dynobs::runtime::testing {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Numbered(int count, const std::string& prefix = "item-") {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

const tracing::Attribute* FindAttribute(const tracing::SpanData& span, std::string_view key) {
  for (const auto& a : span.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

class RequestPlaneStreamTest : public RequestPlaneTest {};

TEST_F(RequestPlaneStreamTest, StreamsManyItemsInOrderAndEndsOnce) {
  StartServer();
  AddEndpoint("generate", StreamingHandler(10000));
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("generate", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_TRUE(recorder.end().ok()) << recorder.end().ToString();
  EXPECT_EQ(recorder.items(), Numbered(10000));
  EXPECT_EQ(recorder.end_calls(), 1);
  EXPECT_FALSE(recorder.item_after_end());
}

TEST_F(RequestPlaneStreamTest, HandlerFeedsTheStreamFromItsOwnThread) {
  StartServer();
  std::vector<std::thread> engines;
  std::mutex mu;
  AddEndpoint("generate",
              [&](const IncomingRequest&, const std::shared_ptr<ResponseStream>& stream) {
                std::lock_guard lock(mu);
                engines.emplace_back([stream] {
                  for (int i = 0; i < 500; ++i) {
                    if (!stream->Send("item-" + std::to_string(i))) return;
                    if (i % 50 == 0) std::this_thread::yield();
                  }
                  stream->Finish();
                });
              });
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("generate", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_TRUE(recorder.end().ok());
  EXPECT_EQ(recorder.items(), Numbered(500));
  std::lock_guard lock(mu);
  for (auto& t : engines) t.join();
}

// Many streams at once from racing threads, each on its own pooled connection.
TEST_F(RequestPlaneStreamTest, ManyConcurrentStreamsFromManyThreads) {
  StartServer();
  AddEndpoint("generate",
              [](const IncomingRequest& request, const std::shared_ptr<ResponseStream>& stream) {
                for (int i = 0; i < 100; ++i) stream->Send(request.body + "-" + std::to_string(i));
                stream->Finish();
              });
  StartClient();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 64;
  std::vector<std::unique_ptr<StreamRecorder>> recorders(kThreads * kPerThread);
  std::vector<std::unique_ptr<StreamHandle>> handles(recorders.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t * kPerThread; i < (t + 1) * kPerThread; ++i) {
        recorders[i] = std::make_unique<StreamRecorder>();
        handles[i] = Generate("generate", *recorders[i], {}, std::to_string(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < recorders.size(); ++i) {
    ASSERT_TRUE(recorders[i]->WaitEnd()) << i;
    EXPECT_TRUE(recorders[i]->end().ok()) << recorders[i]->end().ToString();
    EXPECT_EQ(recorders[i]->items(), Numbered(100, std::to_string(i) + "-"));
  }
  EXPECT_TRUE(server_->WaitIdle(kWait));
  EXPECT_LE(client_->connections_opened(), recorders.size());
}

// One request from inside a caller's span, with the headers a frontend sends.
class TracedRequestTest : public RequestPlaneStreamTest {
 protected:
  void SetUp() override {
    RequestPlaneStreamTest::SetUp();
    StartServer();
    AddEndpoint("generate",
                [this](IncomingRequest request, const std::shared_ptr<ResponseStream>& stream) {
                  std::lock_guard lock(mu_);
                  seen_ = std::move(request);
                  stream->Finish();
                });
    StartClient();
    static constinit tracing::SpanSite kCaller("http-request", "request_span");
    caller_.emplace(kCaller, tracing::SpanContext().WithRequestIds(
                                 "client-7", "8372eac7-5f43-4d76-beca-0a94cfb311d0"));
    RequestHeaders headers = {{"model", "tiny"}};
    AddTraceHeaders(caller_->context(), &headers);
    StreamRecorder recorder;
    before_ = WallNanos();
    auto handle = Generate("generate", recorder, headers, R"({"prompt":"hi"})");
    ASSERT_TRUE(recorder.WaitEnd());
    ASSERT_TRUE(server_->WaitIdle(kWait));
    caller_->End();
    std::lock_guard lock(mu_);
    ASSERT_TRUE(seen_);
  }

  std::mutex mu_;
  std::optional<IncomingRequest> seen_;
  std::optional<tracing::Span> caller_;
  int64_t before_ = 0;
};

TEST_F(TracedRequestTest, HeadersReachTheHandler) {
  std::lock_guard lock(mu_);
  EXPECT_EQ(seen_->endpoint, "generate");
  EXPECT_EQ(seen_->body, R"({"prompt":"hi"})");
  EXPECT_EQ(seen_->Header("model"), "tiny");
  EXPECT_EQ(seen_->Header("x-request-id"), "client-7");
  EXPECT_EQ(seen_->Header("request-id"), "8372eac7-5f43-4d76-beca-0a94cfb311d0");
  EXPECT_EQ(seen_->Header("traceparent"), "00-" + caller_->context().trace_id().ToHex() + "-" +
                                              caller_->context().span_id().ToHex() + "-01");
  const int64_t stamped = std::stoll(std::string(seen_->Header("x-frontend-send-ts-ns")));
  EXPECT_GE(stamped, before_);
  EXPECT_LE(stamped, seen_->received_unix_nanos);
}

TEST_F(TracedRequestTest, HandlePayloadSpanIsTheChildOfTheCallersSpan) {
  std::lock_guard lock(mu_);
  EXPECT_EQ(seen_->context.trace_id(), caller_->context().trace_id());
  std::vector<tracing::SpanData> spans = processor_.Take();
  auto it = std::find_if(spans.begin(), spans.end(),
                         [](const auto& s) { return s.name == "handle_payload"; });
  ASSERT_NE(it, spans.end());
  EXPECT_EQ(it->trace_id, caller_->context().trace_id());
  EXPECT_EQ(it->parent_span_id, caller_->context().span_id());
  EXPECT_TRUE(it->parent_is_remote);
  EXPECT_EQ(it->span_id, seen_->context.span_id());
  EXPECT_EQ(FindAttribute(*it, "component")->value.s, "backend");
  EXPECT_EQ(FindAttribute(*it, "endpoint")->value.s, "generate");
  EXPECT_EQ(FindAttribute(*it, "namespace")->value.s, "dynamo");
  EXPECT_EQ(FindAttribute(*it, "instance_id")->value.i, static_cast<int64_t>(kWorkerId));
  EXPECT_EQ(FindAttribute(*it, "request_id")->value.s, "8372eac7-5f43-4d76-beca-0a94cfb311d0");
  EXPECT_EQ(FindAttribute(*it, "x_request_id")->value.s, "client-7");
  EXPECT_EQ(FindAttribute(*it, "trace_id")->value.s, caller_->context().trace_id().ToHex());
  EXPECT_EQ(FindAttribute(*it, "parent_id")->value.s, caller_->context().span_id().ToHex());
}

class LifecycleSink : public logging::RecordSink {
 public:
  struct Line {
    std::string message;
    std::string request_id;
    std::string span;
  };
  void OnRecord(const logging::LogRecord& record) override {
    if (record.message != "request received" && record.message != "request completed") return;
    Line line{std::string(record.message), "", record.span ? std::string(record.span->name) : ""};
    for (const auto& f : record.fields) {
      if (f.key == "request_id") line.request_id = std::string(f.value.as_string());
    }
    std::lock_guard lock(mu);
    lines.push_back(std::move(line));
  }
  std::mutex mu;
  std::vector<Line> lines;
};

TEST_F(RequestPlaneStreamTest, LifecycleLogsCarryTheRequestIdInsideHandlePayload) {
  LifecycleSink sink;
  logging::AddRecordSink(&sink);
  StartServer();
  AddEndpoint("generate", StreamingHandler(3));
  StartClient();
  StreamRecorder recorder;
  auto handle =
      Generate("generate", recorder, {{"request-id", "0b5e3f46-8c3c-4bd2-9b4e-4f4a0d7f3a11"}});
  ASSERT_TRUE(recorder.WaitEnd());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  logging::RemoveRecordSink(&sink);
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0].message, "request received");
  EXPECT_EQ(sink.lines[1].message, "request completed");
  for (const auto& line : sink.lines) {
    EXPECT_EQ(line.request_id, "0b5e3f46-8c3c-4bd2-9b4e-4f4a0d7f3a11");
    EXPECT_EQ(line.span, "handle_payload");
  }
}

// The DEBUG line the frontend's added TTFT is measured against: once per request, at its first
// item, under a target of its own.
class FirstResponseSink : public logging::RecordSink {
 public:
  void OnRecord(const logging::LogRecord& record) override {
    if (record.message != "first response sent") return;
    std::lock_guard lock(mu);
    targets.emplace_back(record.target);
    for (const auto& f : record.fields) {
      if (f.key == "x_request_id") x_request_ids.emplace_back(f.value.as_string());
      if (f.key == "ttfr_ms") ttfr_ms.push_back(f.value.as_double());
    }
  }
  std::mutex mu;
  std::vector<std::string> targets, x_request_ids;
  std::vector<double> ttfr_ms;
};

TEST_F(RequestPlaneStreamTest, FirstResponseDebugLineOncePerRequestWhenItsTargetIsOn) {
  FirstResponseSink sink;
  logging::AddRecordSink(&sink);
  StartServer();
  AddEndpoint("generate", StreamingHandler(3));
  StartClient();
  auto run = [&](const char* id) {
    StreamRecorder recorder;
    auto handle = Generate("generate", recorder, {{"x-request-id", id}});
    ASSERT_TRUE(recorder.WaitEnd());
    ASSERT_TRUE(server_->WaitIdle(kWait));
  };
  run("off-1");  // DEBUG is off by default: no line
  std::vector<std::string> errors;
  logging::SetFilter(logging::Filter::Build(
      logging::ParseDirectives("info,dynobs::runtime::request_plane::first_response=debug",
                               &errors),
      false));
  run("bench-7");
  logging::SetFilter(logging::Filter::Build({}, false));
  logging::RemoveRecordSink(&sink);
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.x_request_ids.size(), 1u);
  EXPECT_EQ(sink.x_request_ids[0], "bench-7");
  EXPECT_EQ(sink.targets[0], "dynobs::runtime::request_plane::first_response");
  ASSERT_EQ(sink.ttfr_ms.size(), 1u);
  EXPECT_GE(sink.ttfr_ms[0], 0.0);
  EXPECT_LT(sink.ttfr_ms[0], 10000.0);
}

TEST_F(RequestPlaneStreamTest, SequentialStreamsReuseOnePooledConnection) {
  StartServer();
  AddEndpoint("generate", StreamingHandler(5));
  StartClient();
  for (int i = 0; i < 20; ++i) {
    StreamRecorder recorder;
    auto handle = Generate("generate", recorder);
    ASSERT_TRUE(recorder.WaitEnd());
    ASSERT_TRUE(recorder.end().ok());
  }
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(client_->idle_connections(), 1u);
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(RequestPlaneStreamTest, ConcurrentStreamsOpenOneConnectionEachThenReuseThem) {
  StartServer();
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> held;
  AddEndpoint("hold", [&](const IncomingRequest&, std::shared_ptr<ResponseStream> stream) {
    std::lock_guard lock(mu);
    held.push_back(std::move(stream));
  });
  AddEndpoint("generate", StreamingHandler(1));
  StartClient();
  std::vector<StreamRecorder> recorders(4);
  std::vector<std::unique_ptr<StreamHandle>> handles;
  for (auto& r : recorders) handles.push_back(Generate("hold", r));
  ASSERT_TRUE(WaitUntil([&] { return server_->active_streams() == 4; }));
  {
    std::lock_guard lock(mu);
    for (auto& s : held) s->Finish();
    held.clear();
  }
  for (auto& r : recorders) ASSERT_TRUE(r.WaitEnd());
  ASSERT_TRUE(WaitUntil([&] { return client_->idle_connections() == 4; }));
  for (int i = 0; i < 8; ++i) {
    StreamRecorder recorder;
    auto handle = Generate("generate", recorder);
    ASSERT_TRUE(recorder.WaitEnd());
  }
  EXPECT_EQ(client_->connections_opened(), 4u);
}

TEST_F(RequestPlaneStreamTest, AConnectionTheWorkerClosedIsNotReused) {
  StartServer();
  AddEndpoint("generate", StreamingHandler(1));
  StartClient();
  const uint16_t port = server_->port();
  StreamRecorder first;
  auto h1 = Generate("generate", first);
  ASSERT_TRUE(first.WaitEnd());
  ASSERT_EQ(client_->idle_connections(), 1u);
  server_->Stop();  // closes the pooled connection from the worker's side
  RequestPlaneServerOptions again;
  again.port = port;
  StartServer(again);
  AddEndpoint("generate", StreamingHandler(1));
  StreamRecorder second;
  auto h2 = Generate("generate", second);
  ASSERT_TRUE(second.WaitEnd());
  EXPECT_TRUE(second.end().ok()) << second.end().ToString();
  EXPECT_EQ(client_->connections_opened(), 2u);
}

}  // namespace
}  // namespace dynobs::runtime::testing
