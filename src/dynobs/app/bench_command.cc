#include "dynobs/app/bench_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "dynobs/app/bench_client.h"

namespace dynobs::app {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

void AddBenchCommand(CLI::App& app, BenchOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load the OpenAI-compatible API (a closed loop of --concurrency clients) and measure on "
      "the client side: requests/s, tokens/s, time to first token and inter-token latency "
      "(p50/p99). Prints one JSON line; progress on stderr every second.");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--host", o.host, "Frontend address (IPv4)");
  cmd->add_option("--port", o.port, "Frontend port")->check(CLI::Range(1, 65535));
  cmd->add_option("--model", o.model, "Model to ask for");
  cmd->add_option("--endpoint", o.endpoint, "chat or completions")
      ->check(CLI::IsMember({"chat", "completions"}));
  cmd->add_option("--concurrency", o.concurrency, "Clients, each with one request in flight")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", o.threads,
                  "Client threads; each drives its share of the connections with epoll")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--requests", o.requests, "Requests in all")->check(CLI::Range(1, 100000000));
  cmd->add_option("--max-tokens", o.max_tokens, "max_tokens of each request")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--prompt-words", o.prompt_words, "Words in each prompt")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--unary", o.unary, "Unary requests (TTFT is then the whole answer)");
  cmd->add_flag("--quiet", o.quiet, "No progress lines");
  cmd->add_option("--samples", o.samples_file,
                  "Write one JSON line per request to this file (x_request_id, ok, ttft_ms, "
                  "tokens); each request then carries x-request-id: bench-<n>");
}

int RunBench(const BenchOptions& o) {
  std::string prompt;
  for (int i = 0; i < o.prompt_words; ++i) prompt += fmt::format("w{} ", i);
  const bool chat = o.endpoint == "chat";
  boost::json::object body{{"model", o.model}, {"max_tokens", o.max_tokens}, {"stream", !o.unary}};
  if (chat) {
    body["messages"] =
        boost::json::array{boost::json::object{{"role", "user"}, {"content", prompt}}};
  } else {
    body["prompt"] = prompt;
  }
  const std::string json = boost::json::serialize(body);
  const std::string head =
      fmt::format("POST /v1/{} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n",
                  chat ? "chat/completions" : "completions", o.host);
  const std::string tail = fmt::format("Content-Length: {}\r\n\r\n{}", json.size(), json);
  const std::string request = head + tail;
  const bool with_ids = !o.samples_file.empty();
  std::FILE* samples_out = nullptr;
  if (with_ids) {
    samples_out = std::fopen(o.samples_file.c_str(), "w");
    if (samples_out == nullptr) {
      std::fprintf(stderr, "dynobs: bench: cannot write %s\n", o.samples_file.c_str());
      return 2;
    }
  }

  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::vector<BenchSample> samples;
  samples.reserve(static_cast<size_t>(o.requests));
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  const int threads = std::min(o.threads, o.concurrency);
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      BenchClientOptions options{
          .host = o.host,
          .port = o.port,
          .connections = o.concurrency / threads + (t < o.concurrency % threads ? 1 : 0),
          .requests = o.requests,
          .stream = !o.unary,
          .request = [&](int n) {
            return with_ids ? fmt::format("{}x-request-id: bench-{}\r\n{}", head, n, tail)
                            : request;
          }};
      std::vector<BenchSample> mine = RunBenchClient(options, next, done);
      std::lock_guard lock(mu);
      for (auto& s : mine) samples.push_back(std::move(s));
    });
  }
  std::thread progress([&] {
    while (done.load() < o.requests) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!o.quiet) std::fprintf(stderr, "dynobs bench: %d/%d requests\n", done.load(), o.requests);
    }
  });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = o.requests;
  progress.join();

  int ok = 0;
  uint64_t tokens = 0;
  std::vector<double> ttft, itl;
  for (const auto& s : samples) {
    if (samples_out != nullptr) {
      std::fprintf(samples_out,
                   "{\"x_request_id\":\"bench-%d\",\"ok\":%s,\"ttft_ms\":%.3f,\"tokens\":%u}\n",
                   s.id, s.ok ? "true" : "false", s.ttft_ms, s.tokens);
    }
  }
  if (samples_out != nullptr) std::fclose(samples_out);
  for (auto& s : samples) {
    if (!s.ok) continue;
    ++ok;
    tokens += s.tokens;
    ttft.push_back(s.ttft_ms);
    itl.insert(itl.end(), s.itl_ms.begin(), s.itl_ms.end());
  }
  std::printf(
      "{\"requests\":%d,\"ok\":%d,\"failed\":%d,\"concurrency\":%d,\"elapsed_ms\":%lld,"
      "\"requests_per_second\":%.1f,\"tokens_per_second\":%.0f,\"ttft_p50_ms\":%.3f,"
      "\"ttft_p99_ms\":%.3f,\"itl_p50_ms\":%.3f,\"itl_p99_ms\":%.3f}\n",
      o.requests, ok, o.requests - ok, o.concurrency, static_cast<long long>(seconds * 1000),
      ok / seconds, static_cast<double>(tokens) / seconds, Percentile(ttft, 0.50),
      Percentile(ttft, 0.99), Percentile(itl, 0.50), Percentile(itl, 0.99));
  return ok == o.requests ? 0 : 1;
}

}  // namespace dynobs::app
