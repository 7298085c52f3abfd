#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs call`: a command-line caller of a worker endpoint, found through discovery (the same
// DYN_DISCOVERY_* settings as the workers). It prints every response item and every stream's
// end as JSON lines on stdout, for people trying a worker and for the end-to-end tests.
struct CallOptions {
  std::string namespace_name = "dynamo";
  std::string component = "backend";
  std::string endpoint = "generate";  // what to call
  std::string discover = "generate";  // the endpoint whose instances are looked up
  std::string prompt = "Hello from dynobs";
  std::string body;  // raw request JSON; overrides --prompt / --max-tokens
  uint32_t max_tokens = 16;
  int requests = 1;
  int interval_ms = 0;   // pause between streams
  int concurrency = 0;   // > 0: closed-loop load, a summary line only (call_load.h)
  std::string instance;  // hex instance id: direct routing
  std::string router = "round_robin";
  int cancel_after = 0;    // cancel each stream after this many items; 0: never
  int wait_instances = 1;  // instances to wait for before the first request
  int wait_ms = 10000;     // how long to wait for them
  int inactivity_timeout_ms = 0;
  int duration_ms = 0;     // stop (cancel) each stream after this long; 0: at its end
  std::string request_id;  // x-request-id to send
};

void AddCallCommand(CLI::App& app, CallOptions& options);
int RunCall(const CallOptions& options);

}  // namespace dynobs::app
