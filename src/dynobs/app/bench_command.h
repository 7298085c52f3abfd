#pragma once

#include <string>

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs bench`: a closed-loop load client for the OpenAI-compatible API that measures, on the
// client side, requests/s, tokens/s, time to first token and inter-token latency.
struct BenchOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model = "mock-llm";
  std::string endpoint = "chat";  // chat | completions
  int concurrency = 64;
  int threads = 1;  // client threads (epoll each), sharing the connections
  int requests = 2000;
  int max_tokens = 32;
  int prompt_words = 16;
  bool unary = false;
  bool quiet = false;
  // When set: every request carries `x-request-id: bench-<n>` and one JSON line per request is
  // written here ({"x_request_id","ok","ttft_ms","tokens"}), to pair with other records.
  std::string samples_file;
};

void AddBenchCommand(CLI::App& app, BenchOptions& options);
int RunBench(const BenchOptions& options);

}  // namespace dynobs::app
