#include "dynobs/app/frontend_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "dynobs/app/or_exit.h"
#include "dynobs/app/shutdown_signal.h"
#include "dynobs/app/telemetry.h"
#include "dynobs/common/env.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/http/router.h"
#include "dynobs/http/server.h"
#include "dynobs/llm/frontend/frontend_service.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/distributed_runtime.h"
#include "dynobs/runtime/metrics_endpoint.h"

namespace dynobs::app {
namespace {

constexpr const char* kTarget = "dynobs::frontend";

// The settings the environment gives, all checked before anything starts.
struct FrontendEnv {
  uint16_t port = 8000;
  std::chrono::milliseconds backend_stream_timeout{0};
  std::chrono::milliseconds graceful_shutdown{5000};
  int overload_status = llm::frontend::kDefaultOverloadStatus;
  runtime::DiscoveryConfig discovery;
  llm::frontend::FrontendBuckets buckets;
  llm::frontend::RoutePaths paths;
  std::optional<double> router_queue_threshold;
  std::vector<std::string> ignored_paths;  // overrides for endpoints dynobs does not serve
};

FrontendEnv LoadEnvOrExit(const env::Reader& env, const FrontendCommandOptions& o) {
  FrontendEnv out;
  auto port = OrExit(env.Int("DYN_HTTP_PORT", 0, 65535), "frontend");
  if (port) out.port = static_cast<uint16_t>(*port);
  if (o.http_port) out.port = static_cast<uint16_t>(*o.http_port);
  auto timeout = OrExit(env.Int("DYN_HTTP_BACKEND_STREAM_TIMEOUT_SECS", 0, 86400), "frontend");
  if (timeout) out.backend_stream_timeout = std::chrono::seconds(*timeout);
  auto grace = OrExit(env.Int("DYN_HTTP_GRACEFUL_SHUTDOWN_TIMEOUT_SECS", 0, 3600), "frontend");
  if (grace) out.graceful_shutdown = std::chrono::seconds(*grace);
  auto overload = OrExit(env.Int("DYN_HTTP_OVERLOAD_STATUS_CODE", 100, 599), "frontend");
  if (overload) {
    if (!llm::frontend::IsAllowedOverloadStatus(static_cast<int>(*overload))) {
      ExitWithConfigError(env::InvalidSetting("DYN_HTTP_OVERLOAD_STATUS_CODE",
                                              std::to_string(*overload), "503 or 529"));
    }
    out.overload_status = static_cast<int>(*overload);
  }
  out.discovery = OrExit(runtime::LoadDiscoveryConfig(env), "discovery");
  out.buckets = OrExit(llm::frontend::LoadFrontendBuckets(env), "frontend");
  out.router_queue_threshold = OrExit(env.Double("DYN_ROUTER_QUEUE_THRESHOLD", 0, 1e6), "frontend");
  if (o.router_queue_threshold) out.router_queue_threshold = o.router_queue_threshold;
  out.paths = OrExit(llm::frontend::LoadRoutePaths(env, &out.ignored_paths), "frontend");
  return out;
}

// GET /health (spec §5.2): always 200; the endpoints and instances discovery lists now.
std::string HealthBody(const FrontendCommandOptions& o, runtime::Discovery& discovery) {
  boost::json::array endpoints;
  boost::json::array instances;
  auto listed = discovery.List({o.namespace_name, o.component, o.endpoint});
  if (listed.ok() && !listed->empty()) {
    endpoints.push_back(boost::json::string(
        fmt::format("dyn://{}.{}.{}", o.namespace_name, o.component, o.endpoint)));
    for (const auto& i : *listed) {
      instances.push_back(
          boost::json::object{{"component", i.path.component},
                              {"endpoint", i.path.endpoint},
                              {"instance_id", i.instance_id},
                              {"namespace", i.path.namespace_name},
                              {"transport", boost::json::object{{"tcp", i.address}}}});
    }
  }
  return boost::json::serialize(boost::json::object{
      {"endpoints", endpoints}, {"instances", instances}, {"status", "healthy"}});
}

}  // namespace

void AddFrontendCommand(CLI::App& app, FrontendCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "frontend",
      "Run the OpenAI-compatible frontend: POST /v1/chat/completions and /v1/completions "
      "(streamed as SSE or unary), GET /v1/models, /metrics, /health, /live, routing to the "
      "workers found through discovery.");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--http-port", o.http_port, "HTTP port (default 8000, or DYN_HTTP_PORT)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--http-host", o.http_host, "Address to listen on");
  cmd->add_option("--namespace", o.namespace_name, "Namespace of the workers' endpoint");
  cmd->add_option("--component", o.component, "Component of the workers' endpoint");
  cmd->add_option("--endpoint", o.endpoint, "The workers' generate endpoint");
  cmd->add_option("--router-mode", o.router_mode,
                  "round_robin, random, or kv (KV prefix overlap and load)")
      ->check(CLI::IsMember({"round_robin", "random", "kv"}));
  cmd->add_option("--router-queue-threshold", o.router_queue_threshold,
                  "kv mode: queue requests while every worker's prompt tokens still to prefill "
                  "exceed this fraction of its max_num_batched_tokens (or "
                  "DYN_ROUTER_QUEUE_THRESHOLD; unset: no queue)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--max-inflight", o.max_inflight,
                  "Requests in flight at most; more get the overload status at once")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--default-max-tokens", o.default_max_tokens,
                  "Output tokens for a request that gives no max_tokens")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--io-threads", o.io_threads, "Event-loop threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->footer(
      "Environment: DYN_HTTP_PORT, DYN_HTTP_BACKEND_STREAM_TIMEOUT_SECS, "
      "DYN_HTTP_GRACEFUL_SHUTDOWN_TIMEOUT_SECS, DYN_HTTP_OVERLOAD_STATUS_CODE (503|529), "
      "route overrides DYN_HTTP_SVC_{METRICS,HEALTH,LIVE,MODELS,CHAT,CMP}_PATH, "
      "DYN_ROUTER_QUEUE_THRESHOLD, "
      "DYN_METRICS_{REQUEST_DURATION,INPUT_SEQUENCE,OUTPUT_SEQUENCE,TTFT,ITL}_{MIN,MAX,COUNT}; "
      "discovery DYN_DISCOVERY_BACKEND, DYN_DISCOVERY_DIR, ETCD_ENDPOINTS; logging and tracing "
      "as for the worker. See docs/configuration.md.");
}

int RunFrontend(const FrontendCommandOptions& o) {
  ShutdownSignal::Block();
  env::Reader env(env::ProcessSource());
  FrontendEnv config = LoadEnvOrExit(env, o);
  auto mode = OrExit(llm::frontend::ParseRouterMode(o.router_mode), "--router-mode");
  std::unique_ptr<Telemetry> telemetry = Telemetry::InitOrExit(env);

  auto drt =
      OrExit(runtime::DistributedRuntime::Create({.starting_status = health::HealthStatus::kReady}),
             "runtime");
  int threads = o.io_threads > 0
                    ? o.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::EventLoop loop(threads);
  loop.Start();
  auto discovery = OrExit(runtime::CreateDiscovery(config.discovery), "discovery");

  // /metrics: the frontend's own families first, then the runtime's tree (spec §2.6).
  auto frontend_registry = std::make_shared<metrics::Registry>();
  auto root = std::make_shared<metrics::Registry>();
  root->AddChild(frontend_registry);
  root->AddChild(drt->metrics().registry());
  auto router_component = drt->GetNamespace(o.namespace_name)->GetComponent(o.component);
  auto service =
      OrExit(llm::frontend::FrontendService::Create(
                 loop, *discovery, frontend_registry, router_component->metrics(), config.buckets,
                 {.generate = {o.namespace_name, o.component, o.endpoint},
                  .router_mode = mode,
                  .max_inflight = static_cast<size_t>(o.max_inflight),
                  .overload_status = config.overload_status,
                  .backend_stream_timeout = config.backend_stream_timeout,
                  .default_max_tokens = static_cast<uint32_t>(o.default_max_tokens),
                  .router_id = drt->instance_id(),
                  .paths = config.paths,
                  .router_queue_threshold = config.router_queue_threshold}),
             "frontend");

  runtime::MetricsEndpoint metrics_endpoint(root, {});
  http::Router router;
  service->AddRoutes(router);
  router.Add("GET", config.paths.metrics, [&](http::Request&& r, const http::Responder& respond) {
    metrics_endpoint.Handle(r, respond);
  });
  router.Add("GET", config.paths.health, [&](http::Request&&, const http::Responder& respond) {
    respond(http::Response::Json(200, HealthBody(o, *discovery)));
  });
  router.Add("GET", config.paths.live, [&](http::Request&&, const http::Responder& respond) {
    auto& h = drt->health();
    respond(http::Response::Json(h.IsShuttingDown() ? 503 : 200, h.LiveBody()));
  });
  http::Server server(loop,
                      {.host = o.http_host,
                       .port = config.port,
                       .max_body_bytes = size_t{16} << 20,
                       .write_timeout = std::chrono::milliseconds(30000)},
                      router.AsHandler());
  OrExit(server.Start(), "frontend HTTP server");
  DYNOBS_LOG(kInfo, kTarget, "frontend started", {"port", server.port()},
             {"router_mode", o.router_mode}, {"pid", getpid()},
             {"worker_id", fmt::format("{:x}", drt->instance_id())});
  for (const std::string& name : config.ignored_paths) {
    DYNOBS_LOG(kWarn, kTarget, "route override ignored: dynobs does not serve this endpoint",
               {"variable", name});
  }

  // The event-loop probe (spec §3.5): every 10 ms a task is posted to the loop and the time it
  // waited to run is observed (dynamo_frontend_event_loop_delay_seconds, _stall_total > 5 ms).
  std::atomic<bool> probing{true};
  std::thread probe([&] {
    while (probing.load()) {
      auto ran = std::make_shared<std::promise<void>>();
      const auto posted = std::chrono::steady_clock::now();
      loop.Post([&service, ran, posted] {
        service->metrics().ObserveEventLoopDelay(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - posted).count());
        ran->set_value();
      });
      ran->get_future().wait_for(std::chrono::seconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });

  int sig = ShutdownSignal::Wait();
  probing = false;
  probe.join();
  DYNOBS_LOG(kInfo, kTarget, "shutting down", {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"});
  // Drain (spec §4.2): /live answers 503 shutting_down, new requests are refused, the ones in
  // flight get DYN_HTTP_GRACEFUL_SHUTDOWN_TIMEOUT_SECS to finish; then the server closes.
  drt->health().SetShuttingDown();
  service->SetDraining();
  const auto drain_deadline = std::chrono::steady_clock::now() + config.graceful_shutdown;
  while (service->inflight() > 0 && std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  DYNOBS_LOG(kInfo, kTarget, "drained", {"requests_left", service->inflight()});
  server.Stop(std::chrono::milliseconds(500));
  service.reset();
  loop.Stop();
  DYNOBS_LOG(kInfo, kTarget, "frontend stopped");
  return 0;
}

}  // namespace dynobs::app
