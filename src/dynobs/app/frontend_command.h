#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs frontend`: the OpenAI-compatible HTTP frontend in front of the workers found through
// discovery (docs/configuration.md, "Frontend").
struct FrontendCommandOptions {
  std::optional<int> http_port;  // overrides DYN_HTTP_PORT (default 8000)
  std::string http_host = "0.0.0.0";
  std::string namespace_name = "dynamo";
  std::string component = "backend";
  std::string endpoint = "generate";
  std::string router_mode = "round_robin";
  std::optional<double> router_queue_threshold;  // overrides DYN_ROUTER_QUEUE_THRESHOLD
  int max_inflight = 4096;
  int default_max_tokens = 256;
  int io_threads = 0;
};

void AddFrontendCommand(CLI::App& app, FrontendCommandOptions& options);
int RunFrontend(const FrontendCommandOptions& options);

}  // namespace dynobs::app
