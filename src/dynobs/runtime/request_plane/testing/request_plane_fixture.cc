#include "dynobs/runtime/request_plane/testing/request_plane_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "dynobs/metrics/exposition.h"
#include "dynobs/runtime/request_plane/work_handler_metrics.h"

namespace dynobs::runtime::testing {

using request_plane_internal::FrameType;

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

StreamCallbacks StreamRecorder::Callbacks() {
  return {.on_item =
              [this](const std::string& item) {
                {
                  std::lock_guard lock(mu_);
                  if (end_) item_after_end_ = true;
                  items_.push_back(item);
                  cv_.notify_all();
                }
                if (hook_) hook_(item);
              },
          .on_end =
              [this](Status end) {
                std::lock_guard lock(mu_);
                ++end_calls_;
                end_ = std::move(end);
                cv_.notify_all();
              }};
}

bool StreamRecorder::WaitEnd(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return end_.has_value(); });
}

bool StreamRecorder::WaitItems(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this, count] { return items_.size() >= count; });
}

std::vector<std::string> StreamRecorder::items() const {
  std::lock_guard lock(mu_);
  return items_;
}

Status StreamRecorder::end() const {
  std::lock_guard lock(mu_);
  return end_.value_or(InternalError("stream has not ended"));
}

int StreamRecorder::end_calls() const {
  std::lock_guard lock(mu_);
  return end_calls_;
}

bool StreamRecorder::item_after_end() const {
  std::lock_guard lock(mu_);
  return item_after_end_;
}

RawConnection::RawConnection(uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  // Before connect: the window advertised from the handshake on matches it (a buffer shrunk
  // later cannot take back a window already granted, and the kernel drops what overflows it).
  if (receive_buffer > 0) SetReceiveBuffer(receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Close();
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawConnection::Reset() {
  linger l{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  Close();
}

void RawConnection::SetReceiveBuffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

bool RawConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawConnection::ReadExactly(char* out, size_t n,
                                std::chrono::steady_clock::time_point deadline) {
  while (n > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t got = ::recv(fd_, out, n, 0);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

std::optional<RawConnection::Frame> RawConnection::ReadFrame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, request_plane_internal::kFrameHeaderBytes> h{};
  if (!ReadExactly(h.data(), h.size(), deadline)) return std::nullopt;
  auto byte = [&h](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(h[i])); };
  uint32_t len = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  Frame frame{static_cast<FrameType>(h[4]), std::string(len, '\0')};
  if (len > 0 && !ReadExactly(frame.payload.data(), len, deadline)) return std::nullopt;
  return frame;
}

std::optional<Status> RawConnection::ReadUntilEnd(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::optional<Frame> frame = ReadFrame(left);
    if (!frame) return std::nullopt;
    if (frame->type != FrameType::kEnd) continue;
    auto end = request_plane_internal::DecodeEnd(frame->payload);
    if (!end.ok()) return std::nullopt;
    return end->status;
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> buf{};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    if (::recv(fd_, buf.data(), buf.size(), 0) <= 0) return true;
  }
}

std::string RequestFrame(std::string_view endpoint, const RequestHeaders& headers,
                         std::string_view body) {
  std::string out;
  EXPECT_TRUE(
      request_plane_internal::AppendRequestFrame(&out, endpoint, headers, body, std::nullopt).ok());
  return out;
}

EndpointHandler StreamingHandler(int count, const std::string& prefix) {
  return [count, prefix](const IncomingRequest&, const std::shared_ptr<ResponseStream>& stream) {
    for (int i = 0; i < count; ++i) stream->Send(prefix + std::to_string(i));
    stream->Finish();
  };
}

void RequestPlaneTest::SetUp() {
  SpanTest::SetUp();
  ResetWorkHandlerPerfForTesting();
  runtime_scope_ = metrics::MetricsScope::ForRuntime(kWorkerId);
  component_scope_ = runtime_scope_->NewNamespace("dynamo")->NewComponent("backend");
  client_registry_ = std::make_shared<metrics::Registry>();
  loop_.Start();
}

void RequestPlaneTest::TearDown() {
  client_.reset();
  if (server_) server_->Stop();
  server_.reset();
  loop_.Stop();
  SpanTest::TearDown();
}

void RequestPlaneTest::StartServer(RequestPlaneServerOptions options) {
  server_ = std::make_unique<RequestPlaneServer>(loop_, std::move(options));
  ASSERT_TRUE(server_->Start().ok());
}

void RequestPlaneTest::AddEndpoint(const std::string& name, EndpointHandler handler,
                                   const EndpointOptions& options) {
  ASSERT_TRUE(
      server_->AddEndpoint(name, std::move(handler), *component_scope_->NewEndpoint(name), options)
          .ok());
}

void RequestPlaneTest::StartClient(RequestPlaneClientOptions options) {
  if (!options.metrics) {
    auto metrics = RequestPlaneMetrics::Create(client_registry_);
    ASSERT_TRUE(metrics.ok());
    options.metrics = *metrics;
  }
  client_ = std::make_unique<RequestPlaneClient>(loop_, std::move(options));
}

std::unique_ptr<StreamHandle> RequestPlaneTest::Generate(const std::string& endpoint,
                                                         StreamRecorder& recorder,
                                                         RequestHeaders headers, std::string body) {
  return client_->Generate(server_->address(), endpoint, std::move(headers), std::move(body),
                           recorder.Callbacks());
}

std::string RequestPlaneTest::WorkerMetrics() const {
  return metrics::ScrapeText(*runtime_scope_->registry());
}

std::string RequestPlaneTest::ClientMetrics() const {
  return metrics::ScrapeText(*client_registry_);
}

std::string RequestPlaneTest::Sample(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return line.substr(series.size() + 1);
    }
  }
  return "";
}

std::string RequestPlaneTest::Series(std::string_view name, std::string_view endpoint,
                                     std::string_view extra_labels) {
  return fmt::format(
      "dynamo_component_{}{{dynamo_component=\"backend\",dynamo_endpoint=\"{}\","
      "dynamo_namespace=\"dynamo\",{}worker_id=\"1234abcd\"}}",
      name, endpoint, extra_labels.empty() ? "" : fmt::format("{},", extra_labels));
}

}  // namespace dynobs::runtime::testing
