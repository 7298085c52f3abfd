#include "dynobs/app/call_command.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "dynobs/app/call_load.h"
#include "dynobs/app/telemetry.h"
#include "dynobs/common/env.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/endpoint_client.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/tracing/span.h"

namespace dynobs::app {
namespace {

constinit tracing::SpanSite kCallSpan("dynobs.call", "dynobs::call", logging::Level::kInfo,
                                      tracing::SpanKind::kClient);

std::mutex g_out_mu;

void PrintLine(const boost::json::object& line) {
  std::string text = boost::json::serialize(line);
  std::lock_guard lock(g_out_mu);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// One stream: prints its items, cancels after `cancel_after` items, and reports its end.
class Call {
 public:
  Call(int index, uint64_t instance, int cancel_after)
      : index_(index), instance_(fmt::format("{:x}", instance)), cancel_after_(cancel_after) {}

  runtime::StreamCallbacks Callbacks() {
    return {.on_item = [this](std::string item) { OnItem(std::move(item)); },
            .on_end = [this](Status end) { ended_.set_value(std::move(end)); }};
  }
  void Attach(runtime::StreamHandle* handle) {
    std::lock_guard lock(mu_);
    handle_ = handle;
    if (cancel_pending_) handle_->Cancel();
  }
  void SetInstance(uint64_t id) { instance_ = fmt::format("{:x}", id); }

  // Waits for the end (cancelling after `limit` when set) and prints it.
  Status Finish(std::chrono::milliseconds limit, const std::string& trace_id,
                std::chrono::steady_clock::time_point started) {
    auto future = ended_.get_future();
    if (limit.count() > 0 && future.wait_for(limit) != std::future_status::ready) Cancel();
    Status end = future.get();
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
    boost::json::object line{{"request", index_},
                             {"instance", instance_},
                             {"status", std::string(StatusCodeName(end.code()))},
                             {"message", end.message()},
                             {"items", items_},
                             {"elapsed_us", us},
                             {"trace_id", trace_id}};
    PrintLine(line);
    return end;
  }

 private:
  void OnItem(std::string item) {
    ++items_;
    boost::json::object line{{"request", index_}, {"instance", instance_}};
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(item, ec);
    if (ec) {
      line["item_text"] = item;
    } else {
      line["item"] = std::move(parsed);
    }
    PrintLine(line);
    if (cancel_after_ > 0 && items_ == cancel_after_) Cancel();
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    if (handle_ == nullptr) {
      cancel_pending_ = true;
      return;
    }
    handle_->Cancel();
  }

  const int index_;
  std::string instance_;
  const int cancel_after_;
  int items_ = 0;  // on_item runs one at a time per stream
  std::promise<Status> ended_;
  std::mutex mu_;
  runtime::StreamHandle* handle_ = nullptr;
  bool cancel_pending_ = false;
};

std::string RequestBody(const CallOptions& o) {
  if (!o.body.empty()) return o.body;
  llm::EngineRequest r;
  r.token_ids = llm::mocker::Tokenizer::Encode(o.prompt);
  r.max_tokens = o.max_tokens;
  return r.ToJson();
}

}  // namespace

void AddCallCommand(CLI::App& app, CallOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "call",
      "Call a worker endpoint found through discovery (DYN_DISCOVERY_BACKEND, DYN_DISCOVERY_DIR, "
      "ETCD_ENDPOINTS) and print each response item and each stream's end as a JSON line: "
      "{\"request\",\"instance\",\"item\"} ... {\"request\",\"instance\",\"status\",\"message\","
      "\"items\",\"elapsed_us\",\"trace_id\"}. Exit status 0 when every stream ended OK (or "
      "CANCELLED by --cancel-after/--duration-ms), 1 otherwise, 2 for bad settings.");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--namespace", o.namespace_name, "Namespace of the endpoint");
  cmd->add_option("--component", o.component, "Component of the endpoint");
  cmd->add_option("--endpoint", o.endpoint,
                  "Endpoint: generate, or load_metrics (the worker's load and KV event stream)");
  cmd->add_option("--discover", o.discover,
                  "Endpoint whose instances are looked up in discovery (workers register "
                  "generate and serve load_metrics at the same address)");
  cmd->add_option("--prompt", o.prompt, "Prompt text (tokenized by the mock tokenizer)");
  cmd->add_option("--max-tokens", o.max_tokens, "Output tokens to ask for")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--body", o.body, "Raw request JSON; overrides --prompt and --max-tokens");
  cmd->add_option("--requests", o.requests, "Streams to run, one after the other")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--concurrency", o.concurrency,
                  "Load mode: keep N streams in flight (round robin) and print only a summary "
                  "line: requests, ok, failed, items, elapsed_ms, requests_per_second, "
                  "items_per_second, first_error")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--interval-ms", o.interval_ms, "Pause between streams")
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--instance", o.instance, "Send to this instance id (hex) only");
  cmd->add_option("--router", o.router, "How to choose an instance")
      ->check(CLI::IsMember({"round_robin", "random"}));
  cmd->add_option("--cancel-after", o.cancel_after, "Cancel each stream after N items")
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--duration-ms", o.duration_ms, "Cancel each stream after this long")
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--wait-instances", o.wait_instances,
                  "Wait for this many instances before calling (with --instance: for that one)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--wait-ms", o.wait_ms, "How long to wait for them")
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--inactivity-timeout-ms", o.inactivity_timeout_ms,
                  "End a stream that receives nothing this long (0: never)")
      ->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--request-id", o.request_id, "x-request-id header to send");
}

int RunCall(const CallOptions& o) {
  env::Reader env(env::ProcessSource());
  auto discovery_config = runtime::LoadDiscoveryConfig(env);
  if (!discovery_config.ok()) ExitWithConfigError(discovery_config.status());
  uint64_t direct = 0;
  if (!o.instance.empty()) {
    auto [ptr, ec] =
        std::from_chars(o.instance.data(), o.instance.data() + o.instance.size(), direct, 16);
    if (ec != std::errc() || ptr != o.instance.data() + o.instance.size() || direct == 0) {
      ExitWithConfigError(InvalidArgumentError(
          fmt::format("--instance {}: expected a non-zero hex instance id", o.instance)));
    }
  }
  std::unique_ptr<Telemetry> telemetry = Telemetry::InitOrExit(env);
  auto discovery = runtime::CreateDiscovery(*discovery_config);
  if (!discovery.ok()) ExitWithConfigError(discovery.status());
  http::EventLoop loop(1);
  loop.Start();
  runtime::RequestPlaneClient plane(
      loop, {.inactivity_timeout = std::chrono::milliseconds(o.inactivity_timeout_ms)});
  auto client = runtime::EndpointClient::Create(
      **discovery, plane, {o.namespace_name, o.component, o.discover}, o.endpoint);
  if (!client.ok()) ExitWithConfigError(client.status());
  if (direct != 0) {
    if (!(*client)->WaitForInstance(direct, std::chrono::milliseconds(o.wait_ms))) {
      std::fprintf(stderr, "dynobs call: instance %s of %s not found after %d ms\n",
                   o.instance.c_str(), (*client)->path().ToString().c_str(), o.wait_ms);
      return 1;
    }
  } else if (o.wait_instances > 0 &&
             !(*client)->WaitForInstances(o.wait_instances, std::chrono::milliseconds(o.wait_ms))) {
    std::fprintf(stderr, "dynobs call: %zu of %d instances of %s after %d ms\n",
                 (*client)->instances().size(), o.wait_instances,
                 (*client)->path().ToString().c_str(), o.wait_ms);
    return 1;
  }
  const std::string body = RequestBody(o);
  if (o.concurrency > 0) {
    int rc = RunLoad(**client, body, o.requests, o.concurrency);
    client->reset();
    loop.Stop();
    return rc;
  }
  int failures = 0;
  for (int i = 0; i < o.requests; ++i) {
    if (i > 0 && o.interval_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    }
    tracing::Span span(kCallSpan);
    runtime::RequestHeaders headers;
    if (!o.request_id.empty()) headers.emplace_back("x-request-id", o.request_id);
    runtime::AddTraceHeaders(span.context(), &headers);
    Call call(i, direct, o.cancel_after);
    auto started = std::chrono::steady_clock::now();
    uint64_t chosen = direct;
    StatusOr<std::unique_ptr<runtime::StreamHandle>> handle =
        direct != 0 ? (*client)->Direct(direct, std::move(headers), body, call.Callbacks())
        : o.router == "random"
            ? (*client)->Random(std::move(headers), body, call.Callbacks(), &chosen)
            : (*client)->RoundRobin(std::move(headers), body, call.Callbacks(), &chosen);
    if (!handle.ok()) {
      PrintLine({{"request", i},
                 {"status", std::string(StatusCodeName(handle.status().code()))},
                 {"message", handle.status().message()}});
      ++failures;
      continue;
    }
    call.SetInstance(chosen);
    call.Attach(handle->get());
    Status end = call.Finish(std::chrono::milliseconds(o.duration_ms),
                             span.context().trace_id().ToHex(), started);
    bool asked_cancel =
        (o.cancel_after > 0 || o.duration_ms > 0) && end.code() == StatusCode::kCancelled;
    if (!end.ok() && !asked_cancel) ++failures;
    span.SetStatus(end.ok() ? tracing::StatusCode::kOk : tracing::StatusCode::kError,
                   end.message());
  }
  client->reset();
  loop.Stop();
  return failures == 0 ? 0 : 1;
}

}  // namespace dynobs::app
