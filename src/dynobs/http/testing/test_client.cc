#include "dynobs/http/testing/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <thread>

namespace dynobs::http::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the final blank line).
std::optional<RawResponse> ParseHead(std::string_view head) {
  RawResponse response;
  size_t line_end = head.find("\r\n");
  response.status_line = std::string(head.substr(0, line_end));
  const size_t space = response.status_line.find(' ');
  if (space == std::string::npos) return std::nullopt;
  const char* code = response.status_line.data() + space + 1;
  std::from_chars(code, response.status_line.data() + response.status_line.size(), response.status);
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  return response;
}

}  // namespace

std::string_view RawResponse::HeaderValue(std::string_view name) const {
  for (const Header& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return {};
}

TestClient::TestClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) Close();
}

TestClient::~TestClient() { Close(); }

bool TestClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<RawResponse> TestClient::Read(std::chrono::milliseconds timeout, bool with_body) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return std::nullopt;
  }
  std::optional<RawResponse> response = ParseHead(std::string_view(buffer_).substr(0, head_end));
  buffer_.erase(0, head_end + 4);
  if (!response) return std::nullopt;
  if (with_body && EqualsIgnoreCase(response->HeaderValue("Transfer-Encoding"), "chunked")) {
    for (;;) {
      std::optional<std::string> chunk =
          ReadChunk(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!chunk) return std::nullopt;
      if (chunk->empty()) return response;
      response->body += *chunk;
      response->chunks.push_back(std::move(*chunk));
    }
  }
  if (with_body && response->HeaderValue("Content-Length").empty() &&
      response->status_line.starts_with("HTTP/1.0")) {
    while (Fill(deadline)) {
    }
    response->body = std::move(buffer_);
    buffer_.clear();
    return response;
  }
  size_t length = 0;
  const std::string_view content_length = response->HeaderValue("Content-Length");
  std::from_chars(content_length.data(), content_length.data() + content_length.size(), length);
  if (!with_body) length = 0;
  while (buffer_.size() < length) {
    if (!Fill(deadline)) return std::nullopt;
  }
  response->body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

std::optional<std::string> TestClient::ReadChunk(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t line_end;
  while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return std::nullopt;
  }
  size_t size = 0;
  const auto [ptr, ec] = std::from_chars(buffer_.data(), buffer_.data() + line_end, size, 16);
  if (ec != std::errc()) return std::nullopt;
  while (buffer_.size() < line_end + 2 + size + 2) {
    if (!Fill(deadline)) return std::nullopt;
  }
  std::string data = buffer_.substr(line_end + 2, size);
  buffer_.erase(0, line_end + 2 + size + 2);
  return data;
}

bool TestClient::WaitClosed(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Fill(deadline)) buffer_.clear();
  return Clock::now() < deadline;
}

void TestClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TestClient::Fill(Clock::time_point deadline) {
  if (fd_ < 0) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd poll_fd{.fd = fd_, .events = POLLIN, .revents = 0};
  if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) return Fill(deadline);
  char chunk[16 * 1024];
  const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return n < 0 && errno == EINTR ? Fill(deadline) : false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<RawResponse> Get(uint16_t port, std::string_view target) {
  TestClient client(port);
  const std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n";
  if (!client.Send(request)) return std::nullopt;
  return client.Read();
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace dynobs::http::testing
