#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs worker`: a worker process. For now it serves its system status server (on
// DYN_SYSTEM_PORT) with the runtime's own metrics; the engine comes with the runtime issue.
struct WorkerOptions {
  std::optional<int> system_port;  // overrides DYN_SYSTEM_PORT
  std::optional<std::string> system_host;
  int io_threads = 0;  // 0: one per core
  int shutdown_grace_ms = 5000;
};

void AddWorkerCommand(CLI::App& app, WorkerOptions& options);
int RunWorker(const WorkerOptions& options);

}  // namespace dynobs::app
