#include "dynobs/runtime/discovery/testing/discovery_testing.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "dynobs/logging/log.h"

namespace dynobs::runtime::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/dynobs-discovery-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int UnusedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

Instance MakeInstance(uint64_t id, std::string endpoint) {
  Instance i;
  i.path = {"dynamo", "backend", std::move(endpoint)};
  i.instance_id = id;
  i.address = fmt::format("127.0.0.1:{}", 20000 + id % 1000);
  i.model = ModelInfo{"mock-model", 4096, 16, 1000, 64, 2048, 3};
  return i;
}

std::vector<uint64_t> Ids(const std::vector<Instance>& set) {
  std::vector<uint64_t> ids;
  for (const Instance& i : set) ids.push_back(i.instance_id);
  return ids;
}

void WatchRecorder::operator()(const std::vector<Instance>& set) {
  std::lock_guard lock(mu_);
  history_.push_back(Ids(set));
}

bool WatchRecorder::WaitForIds(const std::vector<uint64_t>& ids,
                               std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&] {
        std::lock_guard lock(mu_);
        return !history_.empty() && history_.back() == ids;
      },
      timeout);
}

std::vector<std::vector<uint64_t>> WatchRecorder::History() const {
  std::lock_guard lock(mu_);
  return history_;
}

size_t WatchRecorder::calls() const {
  std::lock_guard lock(mu_);
  return history_.size();
}

LogCapture::LogCapture() { logging::AddRecordSink(this); }

LogCapture::~LogCapture() {
  logging::RemoveRecordSink(this);
  logging::Flush();
}

void LogCapture::OnRecord(const logging::LogRecord& record) {
  if (record.target != "dynobs::discovery") return;
  Entry e{record.level, std::string(record.message), {}};
  for (const logging::Field& f : record.fields) {
    std::string value;
    switch (f.value.kind()) {
      case logging::FieldValue::Kind::kInt:
        value = std::to_string(f.value.as_int());
        break;
      case logging::FieldValue::Kind::kUint:
        value = std::to_string(f.value.as_uint());
        break;
      case logging::FieldValue::Kind::kString:
      case logging::FieldValue::Kind::kJson:
        value = std::string(f.value.as_string());
        break;
      default:
        value = "?";
        break;
    }
    e.fields += fmt::format("{}{}={}", e.fields.empty() ? "" : " ", f.key, value);
  }
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(e));
}

size_t LogCapture::Count(std::string_view message) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Entry& e : entries_) n += e.message == message ? 1 : 0;
  return n;
}

bool LogCapture::WaitForCount(std::string_view message, size_t count,
                              std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return Count(message) >= count; }, timeout);
}

std::vector<LogCapture::Entry> LogCapture::Entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

}  // namespace dynobs::runtime::testing
