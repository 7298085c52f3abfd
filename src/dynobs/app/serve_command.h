#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs serve`, the main job (`make run`): a frontend and N workers as child processes of this
// one, found through file discovery in a private temporary directory; prints every URL; restarts
// a child that dies, with backoff; Ctrl-C stops them all (docs/configuration.md, "dynobs serve").
struct ServeOptions {
  int workers = 2;
  std::optional<int> http_port;  // overrides DYN_HTTP_PORT (default 8000)
  std::string router_mode = "round_robin";
  bool kvbm = false;
  bool jsonl = false;
  std::string otlp_endpoint;
  double speedup = 1.0;
  bool zero_delay = false;
  std::string model_name = "mock-llm";
  // The frontend's event-loop threads; 0: the machine's cores shared among the processes,
  // max(1, cores / (workers + 1)).
  int frontend_io_threads = 0;
};

void AddServeCommand(CLI::App& app, ServeOptions& options);
int RunServe(const ServeOptions& options);

}  // namespace dynobs::app
