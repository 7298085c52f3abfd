#include "dynobs/app/bench_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <string_view>

namespace dynobs::app {
namespace {

using Clock = std::chrono::steady_clock;

double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// One keep-alive connection and the request in flight on it.
struct Conn {
  enum class State { kIdle, kHead, kBody, kChunkSize, kChunkData, kChunkCrlf, kLastCrlf };
  int fd = -1;
  State state = State::kIdle;
  std::string out;  // request bytes not yet sent
  size_t out_at = 0;
  std::string in;           // received bytes not yet parsed
  std::string sse;          // event-stream text not yet split into events
  size_t left = 0;          // body or chunk bytes still to come
  bool want_write = false;  // EPOLLOUT is watched
  BenchSample sample;
  Clock::time_point start, last, activity;
};

class Client {
 public:
  Client(const BenchClientOptions& o, std::atomic<int>& next, std::atomic<int>& done)
      : o_(o), next_(next), done_(done), conns_(static_cast<size_t>(o.connections)) {}
  ~Client() {
    for (Conn& c : conns_) Close(c);
    if (epoll_ >= 0) ::close(epoll_);
  }

  std::vector<BenchSample> Run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    for (Conn& c : conns_) StartNext(c);
    epoll_event events[64];
    while (busy_ > 0 || !restart_.empty()) {
      Restart();
      const int n = ::epoll_wait(epoll_, events, 64, 100);
      const auto now = Clock::now();
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u64];
        if (c.fd < 0) continue;  // closed by an earlier event of this round
        c.activity = now;
        if ((events[i].events & EPOLLOUT) != 0) Flush(c);
        if (c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) Receive(c);
      }
      for (Conn& c : conns_) {
        if (c.state != Conn::State::kIdle && now - c.activity > o_.timeout) Fail(c);
      }
    }
    return std::move(samples_);
  }

 private:
  // Connections whose request ended start their next one here, not inside the callbacks that
  // ended it (no recursion when requests fail one after another).
  void Restart() {
    while (!restart_.empty()) {
      const size_t i = restart_.back();
      restart_.pop_back();
      StartNext(conns_[i]);
    }
  }

  // Takes the next request number, if any is left, and sends it; one that cannot connect is a
  // failed request, and the next number is tried.
  void StartNext(Conn& c) {
    for (;;) {
      const int n = next_.fetch_add(1);
      if (n >= o_.requests) {
        Close(c);
        return;
      }
      c.sample = BenchSample{.id = n};
      c.start = c.last = c.activity = Clock::now();
      if (c.fd < 0 && !Connect(c)) {
        samples_.push_back(std::move(c.sample));
        done_.fetch_add(1);
        continue;
      }
      ++busy_;
      c.out = o_.request(n);
      c.out_at = 0;
      c.sse.clear();
      c.state = Conn::State::kHead;
      Flush(c);
      return;
    }
  }

  bool Connect(Conn& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(o_.port));
    if (c.fd < 0 || ::inet_pton(AF_INET, o_.host.c_str(), &a.sin_addr) != 1 ||
        ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      Close(c);
      return false;
    }
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event e{.events = EPOLLIN, .data = {.u64 = static_cast<uint64_t>(&c - conns_.data())}};
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &e);
    c.in.clear();
    c.want_write = false;
    return true;
  }

  void Close(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  }

  void Watch(Conn& c, bool writable) {
    if (c.want_write == writable) return;
    c.want_write = writable;
    epoll_event e{.events = EPOLLIN | (writable ? EPOLLOUT : 0u),
                  .data = {.u64 = static_cast<uint64_t>(&c - conns_.data())}};
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &e);
  }

  void Flush(Conn& c) {
    while (c.out_at < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_at += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Watch(c, true);
        return;
      }
      Fail(c);
      return;
    }
    c.out.clear();
    Watch(c, false);
  }

  void Receive(Conn& c) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (c.state == Conn::State::kIdle) {
        Close(c);  // the server closed an idle connection: the next request opens another
      } else {
        Fail(c);  // closed, or an error: whatever was in flight failed
      }
      return;
    }
    Parse(c);
  }

  void Parse(Conn& c) {
    using State = Conn::State;
    for (;;) {
      switch (c.state) {
        case State::kIdle:
          c.in.clear();  // nothing is expected: a stray byte is ignored
          return;
        case State::kHead: {
          const size_t end = c.in.find("\r\n\r\n");
          if (end == std::string::npos) return;
          const std::string_view head(c.in.data(), end + 4);
          if (head.substr(0, 12) != "HTTP/1.1 200") {
            Fail(c);
            return;
          }
          if (head.find("Transfer-Encoding: chunked") != std::string_view::npos) {
            c.state = State::kChunkSize;
          } else {
            const size_t at = head.find("Content-Length: ");
            c.left = 0;
            if (at != std::string_view::npos) {
              std::from_chars(head.data() + at + 16, head.data() + head.size(), c.left);
            }
            c.state = State::kBody;
          }
          c.in.erase(0, end + 4);
          break;
        }
        case State::kBody: {
          if (c.in.size() < c.left) return;
          c.sample.ttft_ms = MillisBetween(c.start, Clock::now());
          const std::string_view body(c.in.data(), c.left);
          const size_t u = body.find("\"completion_tokens\":");
          if (u != std::string_view::npos) {
            std::from_chars(body.data() + u + 20, body.data() + body.size(), c.sample.tokens);
          }
          c.in.erase(0, c.left);
          Finish(c, !o_.stream);
          return;
        }
        case State::kChunkSize: {
          const size_t end = c.in.find("\r\n");
          if (end == std::string::npos) return;
          size_t size = 0;
          std::from_chars(c.in.data(), c.in.data() + end, size, 16);
          c.in.erase(0, end + 2);
          c.left = size;
          c.state = size == 0 ? State::kLastCrlf : State::kChunkData;
          break;
        }
        case State::kChunkData: {
          if (c.in.empty()) return;
          const size_t take = std::min(c.left, c.in.size());
          c.sse.append(c.in, 0, take);
          c.in.erase(0, take);
          c.left -= take;
          Events(c);
          if (c.left > 0) return;
          c.state = State::kChunkCrlf;
          break;
        }
        case State::kChunkCrlf:
        case State::kLastCrlf: {
          if (c.in.size() < 2) return;
          c.in.erase(0, 2);
          if (c.state == State::kLastCrlf) {
            Finish(c, o_.stream);
            return;
          }
          c.state = State::kChunkSize;
          break;
        }
      }
    }
  }

  // Times every complete event that carries text.
  void Events(Conn& c) {
    size_t from = 0;
    for (size_t end; (end = c.sse.find("\n\n", from)) != std::string::npos; from = end + 2) {
      if (!CarriesText(std::string_view(c.sse).substr(from, end - from))) continue;
      const auto now = Clock::now();
      if (c.sample.tokens == 0) {
        c.sample.ttft_ms = MillisBetween(c.start, now);
      } else {
        c.sample.itl_ms.push_back(MillisBetween(c.last, now));
      }
      c.last = now;
      ++c.sample.tokens;
    }
    c.sse.erase(0, from);
  }

  void Finish(Conn& c, bool ok) {
    c.sample.ok = ok;
    samples_.push_back(std::move(c.sample));
    c.state = Conn::State::kIdle;
    --busy_;
    done_.fetch_add(1);
    if (!c.in.empty()) Close(c);  // bytes past the answer: start clean
    restart_.push_back(static_cast<size_t>(&c - conns_.data()));
  }

  void Fail(Conn& c) {
    Close(c);
    c.in.clear();
    c.out.clear();
    Finish(c, false);
  }

  const BenchClientOptions& o_;
  std::atomic<int>& next_;
  std::atomic<int>& done_;
  std::vector<Conn> conns_;
  std::vector<BenchSample> samples_;
  std::vector<size_t> restart_;  // connections to start their next request
  int epoll_ = -1;
  int busy_ = 0;  // connections with a request in flight
};

}  // namespace

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

std::vector<BenchSample> RunBenchClient(const BenchClientOptions& options, std::atomic<int>& next,
                                        std::atomic<int>& done) {
  return Client(options, next, done).Run();
}

}  // namespace dynobs::app
