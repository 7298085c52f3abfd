#include "dynobs/app/bench_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

namespace dynobs::app {
namespace {

using Clock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection with blocking reads (one per client thread).
class Connection {
 public:
  Connection(const std::string& host, int port) : host_(host), port_(port) {}
  ~Connection() { Close(); }

  bool Send(const std::string& request) {
    if (fd_ < 0 && !Connect()) return false;
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        Close();
        return false;
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Bytes up to and including `delimiter`; nullopt when the connection ends first.
  std::optional<std::string> ReadUntil(std::string_view delimiter) {
    for (;;) {
      size_t at = buffer_.find(delimiter);
      if (at != std::string::npos) {
        std::string out = buffer_.substr(0, at + delimiter.size());
        buffer_.erase(0, at + delimiter.size());
        return out;
      }
      if (!Fill()) return std::nullopt;
    }
  }
  std::optional<std::string> ReadExactly(size_t n) {
    while (buffer_.size() < n) {
      if (!Fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (::inet_pton(AF_INET, host_.c_str(), &a.sin_addr) != 1 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      Close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{.tv_sec = 30, .tv_usec = 0};  // a stuck answer is a failed request
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return true;
  }
  bool Fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      Close();
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  const std::string host_;
  const int port_;
  int fd_ = -1;
  std::string buffer_;
};

struct Sample {
  bool ok = false;
  uint32_t tokens = 0;
  double ttft_ms = 0;
  std::vector<double> itl_ms;
};

// Whether an SSE event carries new text: a chat delta or a completion chunk with non-empty text.
bool CarriesText(std::string_view event) {
  for (std::string_view key : {R"("delta":{"content":")", R"("text":")"}) {
    size_t at = event.find(key);
    if (at != std::string_view::npos && at + key.size() < event.size() &&
        event[at + key.size()] != '"') {
      return true;
    }
  }
  return false;
}

// One request; for a stream, the time of every event that carries text.
Sample RunOne(Connection& c, const std::string& request, bool stream) {
  Sample s;
  const auto start = Clock::now();
  if (!c.Send(request)) return s;
  auto head = c.ReadUntil("\r\n\r\n");
  if (!head || head->compare(0, 12, "HTTP/1.1 200") != 0) {
    c.Close();  // simplest: never reuse a connection after an error answer
    return s;
  }
  const bool chunked = head->find("Transfer-Encoding: chunked") != std::string::npos;
  if (!chunked) {
    const size_t at = head->find("Content-Length: ");
    size_t length = 0;
    if (at != std::string::npos) {
      std::from_chars(head->data() + at + 16, head->data() + head->size(), length);
    }
    auto body = c.ReadExactly(length);
    if (!body) return s;
    s.ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const size_t u = body->find("\"completion_tokens\":");
    if (u != std::string::npos) {
      std::from_chars(body->data() + u + 20, body->data() + body->size(), s.tokens);
    }
    s.ok = true;
    return s;
  }
  std::string sse;
  auto last = start;
  for (;;) {
    auto size_line = c.ReadUntil("\r\n");
    if (!size_line) return s;
    size_t size = 0;
    std::from_chars(size_line->data(), size_line->data() + size_line->size(), size, 16);
    auto data = c.ReadExactly(size + 2);
    if (!data) return s;
    if (size == 0) break;
    sse.append(*data, 0, size);
    for (size_t end; (end = sse.find("\n\n")) != std::string::npos; sse.erase(0, end + 2)) {
      std::string_view event(sse.data(), end);
      if (!CarriesText(event)) continue;
      const auto now = Clock::now();
      const double ms = std::chrono::duration<double, std::milli>(now - last).count();
      if (s.tokens == 0) {
        s.ttft_ms = std::chrono::duration<double, std::milli>(now - start).count();
      } else {
        s.itl_ms.push_back(ms);
      }
      last = now;
      ++s.tokens;
    }
  }
  s.ok = stream;
  return s;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

void AddBenchCommand(CLI::App& app, BenchOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load the OpenAI-compatible API (a closed loop of --concurrency clients) and measure on "
      "the client side: requests/s, tokens/s, time to first token and inter-token latency "
      "(p50/p99). Prints one JSON line; progress on stderr every second.");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--host", o.host, "Frontend address (IPv4)");
  cmd->add_option("--port", o.port, "Frontend port")->check(CLI::Range(1, 65535));
  cmd->add_option("--model", o.model, "Model to ask for");
  cmd->add_option("--endpoint", o.endpoint, "chat or completions")
      ->check(CLI::IsMember({"chat", "completions"}));
  cmd->add_option("--concurrency", o.concurrency, "Clients, each with one request in flight")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--requests", o.requests, "Requests in all")->check(CLI::Range(1, 100000000));
  cmd->add_option("--max-tokens", o.max_tokens, "max_tokens of each request")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--prompt-words", o.prompt_words, "Words in each prompt")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--unary", o.unary, "Unary requests (TTFT is then the whole answer)");
  cmd->add_flag("--quiet", o.quiet, "No progress lines");
}

int RunBench(const BenchOptions& o) {
  std::string prompt;
  for (int i = 0; i < o.prompt_words; ++i) prompt += fmt::format("w{} ", i);
  const bool chat = o.endpoint == "chat";
  boost::json::object body{{"model", o.model}, {"max_tokens", o.max_tokens}, {"stream", !o.unary}};
  if (chat) {
    body["messages"] =
        boost::json::array{boost::json::object{{"role", "user"}, {"content", prompt}}};
  } else {
    body["prompt"] = prompt;
  }
  const std::string json = boost::json::serialize(body);
  const std::string request = fmt::format(
      "POST /v1/{} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n\r\n{}",
      chat ? "chat/completions" : "completions", o.host, json.size(), json);

  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::vector<Sample> samples;
  samples.reserve(static_cast<size_t>(o.requests));
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < o.concurrency; ++t) {
    clients.emplace_back([&] {
      Connection c(o.host, o.port);
      std::vector<Sample> mine;
      while (next.fetch_add(1) < o.requests) {
        mine.push_back(RunOne(c, request, !o.unary));
        done.fetch_add(1);
      }
      std::lock_guard lock(mu);
      for (auto& s : mine) samples.push_back(std::move(s));
    });
  }
  std::thread progress([&] {
    while (done.load() < o.requests) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!o.quiet) std::fprintf(stderr, "dynobs bench: %d/%d requests\n", done.load(), o.requests);
    }
  });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = o.requests;
  progress.join();

  int ok = 0;
  uint64_t tokens = 0;
  std::vector<double> ttft, itl;
  for (auto& s : samples) {
    if (!s.ok) continue;
    ++ok;
    tokens += s.tokens;
    ttft.push_back(s.ttft_ms);
    itl.insert(itl.end(), s.itl_ms.begin(), s.itl_ms.end());
  }
  std::printf(
      "{\"requests\":%d,\"ok\":%d,\"failed\":%d,\"concurrency\":%d,\"elapsed_ms\":%lld,"
      "\"requests_per_second\":%.1f,\"tokens_per_second\":%.0f,\"ttft_p50_ms\":%.3f,"
      "\"ttft_p99_ms\":%.3f,\"itl_p50_ms\":%.3f,\"itl_p99_ms\":%.3f}\n",
      o.requests, ok, o.requests - ok, o.concurrency, static_cast<long long>(seconds * 1000),
      ok / seconds, static_cast<double>(tokens) / seconds, Percentile(ttft, 0.50),
      Percentile(ttft, 0.99), Percentile(itl, 0.50), Percentile(itl, 0.99));
  return ok == o.requests ? 0 : 1;
}

}  // namespace dynobs::app
