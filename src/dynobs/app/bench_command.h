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
  int requests = 2000;
  int max_tokens = 32;
  int prompt_words = 16;
  bool unary = false;
  bool quiet = false;
};

void AddBenchCommand(CLI::App& app, BenchOptions& options);
int RunBench(const BenchOptions& options);

}  // namespace dynobs::app
