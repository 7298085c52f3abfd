// Error paths and limits: each produces its error (and error_type), and the worker keeps serving.
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/metrics/exposition.h"
#include "dynobs/runtime/request_plane/testing/request_plane_fixture.h"

namespace dynobs::runtime::testing {
namespace {

using request_plane_internal::FrameType;
using ::testing::HasSubstr;

class RequestPlaneErrorsTest : public RequestPlaneTest {
 protected:
  std::string ErrorCount(std::string_view endpoint, std::string_view type) {
    std::string v = Sample(WorkerMetrics(), Series("errors_total", endpoint,
                                                   "error_type=\"" + std::string(type) + "\""));
    return v.empty() ? "0" : v;
  }
  std::string Rejected(std::string_view reason) {
    return Sample(
        metrics::ScrapeText(*server_registry_),
        "dynamo_request_plane_server_rejected_total{reason=\"" + std::string(reason) + "\"}");
  }
  void StartServerWithRegistry(RequestPlaneServerOptions options = {}) {
    options.registry = server_registry_;
    StartServer(std::move(options));
  }
  // The worker still answers a well-formed request.
  void ExpectStillServing() {
    StreamRecorder recorder;
    auto handle = Generate("ok", recorder);
    ASSERT_TRUE(recorder.WaitEnd());
    EXPECT_TRUE(recorder.end().ok()) << recorder.end().ToString();
  }

  std::shared_ptr<metrics::Registry> server_registry_ = std::make_shared<metrics::Registry>();
};

TEST_F(RequestPlaneErrorsTest, UnknownEndpointIsNotFoundAndTheConnectionStaysUsable) {
  StartServerWithRegistry();
  AddEndpoint("ok", StreamingHandler(1));
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("missing", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_EQ(recorder.end().code(), StatusCode::kNotFound);
  EXPECT_THAT(recorder.end().message(), HasSubstr("no endpoint 'missing'"));
  ExpectStillServing();
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(Rejected("unknown_endpoint"), "1");
}

TEST_F(RequestPlaneErrorsTest, HandlerFailuresAreGenerateErrors) {
  StartServer();
  AddEndpoint("fail", [](const IncomingRequest&, const std::shared_ptr<ResponseStream>& stream) {
    stream->Send("partial");
    stream->Fail(InvalidArgumentError("prompt too long"));
  });
  AddEndpoint("throw", [](const IncomingRequest&, const std::shared_ptr<ResponseStream>&) {
    throw std::runtime_error("engine exploded");
  });
  AddEndpoint("drop", [](const IncomingRequest&, const std::shared_ptr<ResponseStream>&) {});
  AddEndpoint("ok", StreamingHandler(1));
  StartClient();
  StreamRecorder failed, threw, dropped;
  auto h1 = Generate("fail", failed);
  auto h2 = Generate("throw", threw);
  auto h3 = Generate("drop", dropped);
  ASSERT_TRUE(failed.WaitEnd() && threw.WaitEnd() && dropped.WaitEnd());
  EXPECT_EQ(failed.end(), InvalidArgumentError("prompt too long"));
  EXPECT_EQ(failed.items(), std::vector<std::string>{"partial"});
  EXPECT_EQ(threw.end().code(), StatusCode::kInternal);
  EXPECT_THAT(threw.end().message(), HasSubstr("engine exploded"));
  EXPECT_EQ(dropped.end().code(), StatusCode::kInternal);
  EXPECT_THAT(dropped.end().message(), HasSubstr("without ending it"));
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(ErrorCount("fail", "generate"), "1");
  EXPECT_EQ(ErrorCount("throw", "generate"), "1");
  EXPECT_EQ(ErrorCount("drop", "generate"), "1");
  ExpectStillServing();
}

TEST_F(RequestPlaneErrorsTest, TruncatedHeaderSectionIsAnInvalidMessage) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(1));
  AddEndpoint("ok", StreamingHandler(1));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.ok());
  std::string payload(
      "\x01\0\x03gen\0\x02\0\x01"
      "a",
      11);  // two headers announced, half of one
  std::string frame;
  request_plane_internal::AppendFrameHeader(&frame, FrameType::kRequest, payload.size());
  ASSERT_TRUE(raw.Send(frame + payload));
  std::optional<Status> end = raw.ReadUntilEnd();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->code(), StatusCode::kInvalidArgument);
  // The framing held, so the same connection serves the next request.
  ASSERT_TRUE(raw.Send(RequestFrame("ok", {}, "{}")));
  std::optional<Status> next = raw.ReadUntilEnd();
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->ok());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(ErrorCount("gen", "invalid_message"), "1");
  EXPECT_EQ(Sample(WorkerMetrics(), Series("requests_total", "gen")), "1");
  EXPECT_EQ(Sample(WorkerMetrics(), Series("inflight_requests", "gen")), "0");
}

TEST_F(RequestPlaneErrorsTest, InvalidHeaderContentIsADeserializationError) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(1));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send(RequestFrame("gen", {{"Not A Token", "x"}}, "{}")));
  ASSERT_TRUE(raw.Send(RequestFrame("gen", {{"x-frontend-send-ts-ns", "yesterday"}}, "{}")));
  for (int i = 0; i < 2; ++i) {
    std::optional<Status> end = raw.ReadUntilEnd();
    ASSERT_TRUE(end);
    EXPECT_EQ(end->code(), StatusCode::kInvalidArgument);
  }
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(ErrorCount("gen", "deserialization"), "2");
}

TEST_F(RequestPlaneErrorsTest, GarbageGetsAnErrorAndTheServerKeepsServing) {
  StartServerWithRegistry();
  AddEndpoint("ok", StreamingHandler(1));
  StartClient();
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::optional<Status> end = raw.ReadUntilEnd();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(end->message(), HasSubstr("malformed frame"));
  EXPECT_TRUE(raw.WaitClosed());
  RawConnection wrong_version(server_->port());
  ASSERT_TRUE(wrong_version.Send(std::string("\0\0\0\x04\x01\x07\0\0\0", 9)));
  end = wrong_version.ReadUntilEnd();
  ASSERT_TRUE(end);
  EXPECT_THAT(end->message(), HasSubstr("protocol version 1"));
  ExpectStillServing();
  EXPECT_EQ(Rejected("malformed_frame"), "2");
}

TEST_F(RequestPlaneErrorsTest, OversizedRequestIsRefusedByTheWorkerAndByTheClient) {
  StartServerWithRegistry({.max_request_bytes = 1024});
  AddEndpoint("ok", StreamingHandler(1));
  StartClient();
  StreamRecorder big;
  auto h1 = Generate("ok", big, {}, std::string(2000, 'x'));
  ASSERT_TRUE(big.WaitEnd());
  EXPECT_EQ(big.end().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(big.end().message(), HasSubstr("exceeds the worker's limit of 1024 bytes"));
  EXPECT_EQ(Rejected("oversized"), "1");
  ExpectStillServing();

  RequestPlaneClient small(loop_, {.max_request_bytes = 100});
  StreamRecorder local;
  auto h2 = small.Generate(server_->address(), "ok", {}, std::string(200, 'x'), local.Callbacks());
  ASSERT_TRUE(local.WaitEnd());
  EXPECT_EQ(local.end().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(local.end().message(), HasSubstr("exceeds max_request_bytes"));
  EXPECT_EQ(small.connections_opened(), 0u);
}

TEST_F(RequestPlaneErrorsTest, OverloadPastTheStreamLimitIsRefusedAtOnce) {
  StartServer({.max_concurrent_streams = 2});
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> held;
  AddEndpoint("hold", [&](const IncomingRequest&, std::shared_ptr<ResponseStream> stream) {
    std::lock_guard lock(mu);
    held.push_back(std::move(stream));
  });
  StartClient();
  StreamRecorder a, b, c;
  auto ha = Generate("hold", a);
  auto hb = Generate("hold", b);
  ASSERT_TRUE(WaitUntil([&] { return server_->active_streams() == 2; }));
  auto hc = Generate("hold", c);
  ASSERT_TRUE(c.WaitEnd());
  EXPECT_EQ(c.end().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(c.end().message(), HasSubstr("overloaded"));
  EXPECT_EQ(ErrorCount("hold", "generate"), "1");
  {
    std::lock_guard lock(mu);
    for (auto& s : held) s->Finish();
    held.clear();
  }
  ASSERT_TRUE(a.WaitEnd() && b.WaitEnd());
  EXPECT_TRUE(a.end().ok() && b.end().ok());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  StreamRecorder d;
  auto hd = Generate("hold", d);
  ASSERT_TRUE(WaitUntil([&] { return server_->active_streams() == 1; }));
  std::lock_guard lock(mu);
  ASSERT_EQ(held.size(), 1u);
  held[0]->Finish();
  held.clear();
}

TEST_F(RequestPlaneErrorsTest, TooManyConnectionsGetAnErrorAndAClose) {
  StartServerWithRegistry({.max_connections = 1});
  AddEndpoint("ok", StreamingHandler(1));
  RawConnection first(server_->port());
  ASSERT_TRUE(WaitUntil([&] { return server_->connections() == 1; }));
  RawConnection second(server_->port());
  std::optional<Status> end = second.ReadUntilEnd();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(second.WaitClosed());
  EXPECT_EQ(Rejected("too_many_connections"), "1");
}

// A caller that stops reading: the stream's queue stays bounded, Send() turns false, the
// handler is told (OnCancel), and the caller eventually reads an END that says why.
TEST_F(RequestPlaneErrorsTest, SlowConsumerIsCancelledWithABoundedQueue) {
  constexpr size_t kQueue = 64 << 10;
  StartServer({.max_send_queue_bytes = kQueue});
  std::promise<std::shared_ptr<ResponseStream>> got;
  std::atomic<bool> told{false};
  AddEndpoint("gen", [&](const IncomingRequest&, std::shared_ptr<ResponseStream> stream) {
    stream->OnCancel([&told] { told = true; });
    got.set_value(std::move(stream));
  });
  RawConnection raw(server_->port(), /*receive_buffer=*/4096);  // a slow reader
  ASSERT_TRUE(raw.Send(RequestFrame("gen", {}, "{}")));
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  std::shared_ptr<ResponseStream> stream = future.get();
  const std::string item(1024, 'x');
  size_t items = 0;
  while (items < 100000 && stream->Send(item)) ++items;  // this thread is the engine
  stream->Finish();
  stream.reset();
  EXPECT_LT(items, 100000u);  // bounded: socket buffers + kQueue, not the whole stream
  EXPECT_TRUE(told);
  // The reader catches up (a 4 KiB window would take seconds to drain the queue over loopback).
  raw.SetReceiveBuffer(1 << 20);
  std::optional<Status> end = raw.ReadUntilEnd();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(end->message(), HasSubstr("reads too slowly"));
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(ErrorCount("gen", "publish_response"), "1");
  EXPECT_EQ(Sample(WorkerMetrics(), Series("cancellation_total", "gen")), "0");
}

// The caller vanishes (reset) before the worker could write anything of the stream.
TEST_F(RequestPlaneErrorsTest, CallerGoneBeforeTheStreamOpensIsAResponseStreamError) {
  StartServer();
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_ptr<ResponseStream> kept;
  AddEndpoint("gen", [&](const IncomingRequest&, const std::shared_ptr<ResponseStream>& stream) {
    kept = stream;
    entered.set_value();
    release.get_future().wait();
  });
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send(RequestFrame("gen", {}, "{}")));
  entered.get_future().wait();
  raw.Reset();
  release.set_value();
  ASSERT_TRUE(WaitUntil([&] { return kept->cancelled(); }));
  kept->Finish();
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(ErrorCount("gen", "response_stream"), "1");
  EXPECT_EQ(ErrorCount("gen", "publish_final"), "0");
  EXPECT_EQ(Sample(WorkerMetrics(), Series("cancellation_total", "gen")), "0");
}

}  // namespace
}  // namespace dynobs::runtime::testing
