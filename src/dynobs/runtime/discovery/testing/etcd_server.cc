#include "dynobs/runtime/discovery/testing/etcd_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dynobs/runtime/discovery/internal/etcd_client.h"

namespace dynobs::runtime::testing {
std::optional<std::string> EtcdServer::FindBinary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/etcd";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::unique_ptr<EtcdServer> EtcdServer::Start() {
  auto binary = FindBinary();
  if (!binary) return nullptr;
  // A released port may be taken again before etcd binds it: try a few pairs.
  for (int attempt = 0; attempt < 3; ++attempt) {
    int client = UnusedLoopbackPort();
    int peer = UnusedLoopbackPort();
    if (client == peer) continue;
    std::unique_ptr<EtcdServer> server(new EtcdServer(*binary, client, peer));
    if (server->Launch() && server->WaitReady()) return server;
  }
  return nullptr;
}

EtcdServer::EtcdServer(std::string binary, int client_port, int peer_port)
    : binary_(std::move(binary)),
      peer_port_(peer_port),
      url_(fmt::format("http://127.0.0.1:{}", client_port)) {}

EtcdServer::~EtcdServer() { Kill(); }

bool EtcdServer::Launch() {
  std::string client = url_;
  std::string peer = fmt::format("http://127.0.0.1:{}", peer_port_);
  std::string data = fmt::format("{}/data{}", dir_.path(), generation_);
  std::string log = fmt::format("{}/etcd{}.log", dir_.path(), generation_);
  std::vector<std::string> args = {binary_};
  const std::pair<const char*, std::string> flags[] = {
      {"--name", "t"},
      {"--data-dir", data},
      {"--listen-client-urls", client},
      {"--advertise-client-urls", client},
      {"--listen-peer-urls", peer},
      {"--initial-advertise-peer-urls", peer},
      {"--initial-cluster", "t=" + peer},
      {"--log-level", "warn"},
  };
  for (const auto& [flag, value] : flags) {
    args.emplace_back(flag);
    args.push_back(value);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return true;
}

bool EtcdServer::WaitReady() {
  discovery_internal::EtcdClient client({url_}, std::chrono::milliseconds(500));
  bool exited = false;
  bool ready = WaitUntil(
      [&] {
        exited = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
        return exited || client.Call("/v3/maintenance/status", {}).ok();
      },
      std::chrono::seconds(30));
  if (exited) pid_ = -1;
  ready = ready && !exited;
  if (!ready) {
    std::ifstream log(fmt::format("{}/etcd{}.log", dir_.path(), generation_));
    std::stringstream text;
    text << log.rdbuf();
    std::fprintf(stderr, "etcd did not answer on %s; its log:\n%s\n", url_.c_str(),
                 text.str().c_str());
  }
  return ready;
}

void EtcdServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool EtcdServer::Restart(bool wipe) {
  Kill();
  if (wipe) ++generation_;
  return Launch() && WaitReady();
}

}  // namespace dynobs::runtime::testing
