#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "dynobs/runtime/discovery/testing/discovery_testing.h"

namespace dynobs::runtime::testing {

// A real etcd (Debian's etcd-server) on free loopback ports with a data dir under a temp dir,
// for tests. Start and Restart return once etcd answers a status call (deadline 30 s).
// Not thread-safe: one test thread drives it.
class EtcdServer {
 public:
  // The etcd binary on PATH, or nullopt (tests skip then).
  [[nodiscard]] static std::optional<std::string> FindBinary();

  // nullptr when etcd could not be started (the reason goes to stderr).
  [[nodiscard]] static std::unique_ptr<EtcdServer> Start();
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // http://127.0.0.1:<client port>
  [[nodiscard]] const std::string& url() const { return url_; }
  // SIGKILL and wait: etcd goes away at once, as in a crash.
  void Kill();
  // Starts again on the same ports; `wipe` starts from an empty data dir (a new etcd).
  [[nodiscard]] bool Restart(bool wipe);

 private:
  EtcdServer(std::string binary, int client_port, int peer_port);
  [[nodiscard]] bool Launch();
  [[nodiscard]] bool WaitReady();

  const std::string binary_;
  const int peer_port_;
  const std::string url_;
  TempDir dir_;
  int generation_ = 0;
  pid_t pid_ = -1;
};

}  // namespace dynobs::runtime::testing
