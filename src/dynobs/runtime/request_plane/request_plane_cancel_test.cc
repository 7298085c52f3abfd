// Cancellation both ways: the caller cancels or disconnects and the work stops; the worker goes
// away (stopped abruptly, or a child process killed with SIGKILL) and the caller learns it fast.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/runtime/request_plane/testing/request_plane_fixture.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace dynobs::runtime::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// An endpoint whose streams stay open: each sends one item, then waits for the test (or a
// cancellation, on which it finishes).
struct HeldStreams {
  EndpointHandler Handler() {
    return [this](const IncomingRequest&, std::shared_ptr<ResponseStream> stream) {
      stream->Send("first");
      std::weak_ptr<ResponseStream> weak = stream;
      stream->OnCancel([this, weak] {
        ++cancelled;
        if (auto s = weak.lock()) s->Finish();
      });
      std::lock_guard lock(mu);
      streams.push_back(std::move(stream));
    };
  }
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  std::atomic<int> cancelled{0};
};

class RequestPlaneCancelTest : public RequestPlaneTest {};

TEST_F(RequestPlaneCancelTest, CancelStopsTheHandlerCountsAndReusesTheConnection) {
  StartServer();
  HeldStreams held;
  AddEndpoint("gen", held.Handler());
  AddEndpoint("ok", StreamingHandler(1));
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitItems(1));
  handle->Cancel();
  EXPECT_EQ(recorder.end().code(), StatusCode::kCancelled);  // delivered by Cancel() itself
  EXPECT_EQ(recorder.end_calls(), 1);
  ASSERT_TRUE(WaitUntil([&] { return held.cancelled == 1; }));
  ASSERT_TRUE(server_->WaitIdle(kWait));
  ASSERT_TRUE(WaitUntil([&] { return client_->idle_connections() == 1; }));
  handle->Cancel();  // again: nothing more
  EXPECT_EQ(recorder.end_calls(), 1);
  StreamRecorder next;
  auto h2 = Generate("ok", next);
  ASSERT_TRUE(next.WaitEnd());
  EXPECT_TRUE(next.end().ok());
  EXPECT_EQ(client_->connections_opened(), 1u);  // the cancelled stream's connection, drained
  const std::string text = WorkerMetrics();
  EXPECT_EQ(Sample(text, Series("cancellation_total", "gen")), "1");
  EXPECT_EQ(Sample(text, Series("inflight_requests", "gen")), "0");
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_request_plane_inflight_requests"), "0");
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_transport_tcp_errors_total"), "0");
}

TEST_F(RequestPlaneCancelTest, CancelFromInsideTheItemCallbackEndsAtOnce) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(1000));
  StartClient();
  StreamRecorder recorder;
  std::unique_ptr<StreamHandle> handle;
  std::promise<void> started;
  std::shared_future<void> ready = started.get_future().share();
  recorder.OnItem([&](const std::string&) {
    ready.wait();
    handle->Cancel();
  });
  handle = Generate("gen", recorder);
  started.set_value();
  ASSERT_TRUE(recorder.WaitEnd());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(recorder.end().code(), StatusCode::kCancelled);
  EXPECT_EQ(recorder.items().size(), 1u);
  EXPECT_EQ(recorder.end_calls(), 1);
}

TEST_F(RequestPlaneCancelTest, DestroyingTheHandleCancels) {
  StartServer();
  HeldStreams held;
  AddEndpoint("gen", held.Handler());
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitItems(1));
  handle.reset();
  EXPECT_EQ(recorder.end().code(), StatusCode::kCancelled);
  ASSERT_TRUE(WaitUntil([&] { return held.cancelled == 1; }));
}

TEST_F(RequestPlaneCancelTest, CallerDisconnectStopsTheHandlerAndCounts) {
  StartServer();
  HeldStreams held;
  AddEndpoint("gen", held.Handler());
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.Send(RequestFrame("gen", {}, "{}")));
  auto prologue = raw.ReadFrame();
  auto item = raw.ReadFrame();
  ASSERT_TRUE(prologue && item);
  EXPECT_EQ(prologue->type, request_plane_internal::FrameType::kPrologue);
  EXPECT_EQ(item->payload, "first");
  raw.Close();
  ASSERT_TRUE(WaitUntil([&] { return held.cancelled == 1; }));
  ASSERT_TRUE(server_->WaitIdle(kWait));
  const std::string text = WorkerMetrics();
  EXPECT_EQ(Sample(text, Series("cancellation_total", "gen")), "1");
  // The handler finished after the caller went: its final frame could not be published.
  EXPECT_EQ(Sample(text, Series("errors_total", "gen", "error_type=\"publish_final\"")), "1");
  EXPECT_EQ(Sample(text, Series("inflight_requests", "gen")), "0");
}

TEST_F(RequestPlaneCancelTest, InactivityTimeoutEndsTheStreamAndDisconnects) {
  StartServer();
  HeldStreams held;
  AddEndpoint("gen", held.Handler());
  StartClient({.inactivity_timeout = std::chrono::milliseconds(100)});
  StreamRecorder recorder;
  const auto start = Clock::now();
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_EQ(recorder.end().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(recorder.end().message(), HasSubstr("inactivity_timeout"));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_transport_tcp_errors_total"), "1");
  ASSERT_TRUE(WaitUntil([&] { return held.cancelled == 1; }));
}

TEST_F(RequestPlaneCancelTest, RefusedConnectionIsUnavailable) {
  StartServer();
  const std::string address = server_->address();
  server_->Stop();
  StartClient();
  StreamRecorder recorder;
  auto handle = client_->Generate(address, "gen", {}, "{}", recorder.Callbacks());
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_EQ(recorder.end().code(), StatusCode::kUnavailable);
  EXPECT_THAT(recorder.end().message(), HasSubstr("cannot connect"));
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_transport_tcp_errors_total"), "1");
}

TEST_F(RequestPlaneCancelTest, WorkerStoppedMidStreamEndsTheStreamWithinASecond) {
  StartServer();
  HeldStreams held;
  AddEndpoint("gen", held.Handler());
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitItems(1));
  const auto start = Clock::now();
  server_->Stop();
  ASSERT_TRUE(recorder.WaitEnd(std::chrono::seconds(1)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(recorder.end().code(), StatusCode::kUnavailable);
  EXPECT_THAT(recorder.end().message(), HasSubstr("worker connection lost"));
  EXPECT_EQ(held.cancelled, 1);
}

// The worker in a child process (this binary re-run with a filter), killed with SIGKILL while
// it streams: no END, no FIN from user space, only what the kernel does for a dead process.
constexpr const char* kChildEnv = "DYNOBS_REQUEST_PLANE_CHILD_FD";

TEST(RequestPlaneChild, ServeUntilKilled) {
  const char* fd_text = std::getenv(kChildEnv);
  if (fd_text == nullptr) GTEST_SKIP() << "runs only as the child of WorkerKilledWithSigkill";
  http::EventLoop loop(1);
  loop.Start();
  RequestPlaneServer server(loop, {});
  auto scope = metrics::MetricsScope::ForRuntime(1)->NewNamespace("n")->NewComponent("c");
  ASSERT_TRUE(server
                  .AddEndpoint(
                      "forever",
                      [](const IncomingRequest&, const std::shared_ptr<ResponseStream>& stream) {
                        std::thread([stream] {
                          while (stream->Send("tick")) {
                            std::this_thread::sleep_for(std::chrono::milliseconds(1));
                          }
                          stream->Finish();
                        }).detach();
                      },
                      *scope->NewEndpoint("forever"))
                  .ok());
  ASSERT_TRUE(server.Start().ok());
  const std::string port = std::to_string(server.port()) + "\n";
  const int fd = std::atoi(fd_text);
  ASSERT_EQ(::write(fd, port.data(), port.size()), static_cast<ssize_t>(port.size()));
  for (;;) ::pause();
}

TEST_F(RequestPlaneCancelTest, WorkerKilledWithSigkillEndsTheStreamWithinASecond) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string env = std::string(kChildEnv) + "=" + std::to_string(fds[1]);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(env.data());
  envp.push_back(nullptr);
  std::string self = "/proc/self/exe";
  std::string filter = "--gtest_filter=RequestPlaneChild.ServeUntilKilled";
  std::array<char*, 3> argv = {self.data(), filter.data(), nullptr};
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, self.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string port;
  for (char c = 0; ::read(fds[0], &c, 1) == 1 && c != '\n';) port.push_back(c);
  ::close(fds[0]);
  ASSERT_FALSE(port.empty()) << "the child did not start";

  StartClient();
  StreamRecorder recorder;
  auto handle = client_->Generate("127.0.0.1:" + port, "forever", {}, "{}", recorder.Callbacks());
  ASSERT_TRUE(recorder.WaitItems(3));
  const auto start = Clock::now();
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  const bool ended = recorder.WaitEnd(std::chrono::seconds(1));
  const auto elapsed = Clock::now() - start;
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(ended) << "no end within 1 s of SIGKILL";
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(recorder.end().code(), StatusCode::kUnavailable);
  EXPECT_THAT(recorder.end().message(), HasSubstr("worker connection lost"));
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace
}  // namespace dynobs::runtime::testing
