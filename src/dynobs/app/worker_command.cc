#include "dynobs/app/worker_command.h"

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "dynobs/app/or_exit.h"
#include "dynobs/app/shutdown_signal.h"
#include "dynobs/app/telemetry.h"
#include "dynobs/common/env.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/llm/mocker/engine_metrics.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/llm/worker/generate_handler.h"
#include "dynobs/llm/worker/load_publisher.h"
#include "dynobs/logging/log.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/distributed_runtime.h"
#include "dynobs/runtime/metrics_server.h"
#include "dynobs/runtime/request_plane/server.h"
#include "dynobs/runtime/system_config.h"
#include "dynobs/runtime/system_status_server.h"

namespace dynobs::app {
namespace {

constexpr const char* kTarget = "dynobs::worker";

// Everything the environment configures, read and checked before anything starts.
struct WorkerEnv {
  runtime::SystemConfig system;
  runtime::DiscoveryConfig discovery;
  KvbmSettings kvbm;
};

WorkerEnv LoadEnvOrExit(const env::Reader& env, const WorkerOptions& options) {
  WorkerEnv out;
  auto system = runtime::LoadSystemConfig(env);
  if (!system.ok()) ExitWithConfigError(system.status());
  out.system = std::move(*system);
  if (options.system_port) out.system.port = *options.system_port;
  if (options.system_host) out.system.host = *options.system_host;
  auto discovery = runtime::LoadDiscoveryConfig(env);
  if (!discovery.ok()) ExitWithConfigError(discovery.status());
  out.discovery = std::move(*discovery);
  auto kvbm = LoadKvbmSettings(env);
  if (!kvbm.ok()) ExitWithConfigError(kvbm.status());
  out.kvbm = *kvbm;
  return out;
}

// Registers the instance, retrying in the background while the backend cannot be reached (etcd
// down at start): the worker serves meanwhile, and says so in the log.
class Registration {
 public:
  Registration(runtime::Discovery& discovery, runtime::Instance instance)
      : discovery_(discovery), instance_(std::move(instance)) {}
  ~Registration() { Deregister(); }

  void Start() {
    Status s = discovery_.Register(instance_);
    if (s.ok()) {
      Registered();
      return;
    }
    if (s.code() != StatusCode::kUnavailable) {
      ExitWithConfigError(Status(s.code(), "cannot register in discovery: " + s.message()));
    }
    DYNOBS_LOG(kWarn, kTarget, "discovery unavailable; registering when it answers",
               {"error", s.message()});
    retry_ = std::thread([this] { Retry(); });
  }

  // Removes the record first thing at shutdown, so that callers stop choosing this worker.
  void Deregister() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (retry_.joinable()) retry_.join();
    if (registered_) {
      Status s = discovery_.Deregister(instance_.instance_id);
      DYNOBS_LOG(kInfo, kTarget, "deregistered from discovery", {"status", s.ToString()});
    }
  }

 private:
  void Registered() {
    registered_ = true;
    DYNOBS_LOG(kInfo, kTarget, "registered in discovery", {"endpoint", instance_.path.ToString()},
               {"instance_id", fmt::format("{:x}", instance_.instance_id)},
               {"address", instance_.address});
  }
  void Retry() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopped_; })) return;
      Status s = discovery_.Register(instance_);
      if (s.ok()) {
        Registered();
        return;
      }
    }
  }

  runtime::Discovery& discovery_;
  const runtime::Instance instance_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  bool registered_ = false;
  std::thread retry_;
};

// The worker's readiness: its two endpoints and itself together.
void SetServing(health::SystemHealth& health, const std::string& generate,
                health::HealthStatus status) {
  health.SetEndpointStatus(generate, status);
  health.SetEndpointStatus("load_metrics", status);
  health.SetSystemStatus(status);
}

std::string ChooseDiskDir(const WorkerOptions& options, uint64_t instance_id) {
  std::string base = options.disk_dir;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  // A directory of its own: the disk tier deletes it (and only it) at exit.
  return fmt::format("{}/dynobs-kv-{:x}", base, instance_id);
}

}  // namespace

void AddWorkerCommand(CLI::App& app, WorkerOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "worker",
      "Run a worker: a mock LLM engine (continuous batching, KV cache with G1/G2/G3 tiers) "
      "serving the `generate` and `load_metrics` endpoints on the request plane, registered in "
      "discovery, with its system status server on DYN_SYSTEM_PORT (/metrics, /health, /ready, "
      "/live).");
  cmd->option_defaults()->always_capture_default();
  auto* g = cmd;
  g->add_option("--namespace", o.namespace_name, "Dynamo namespace of the worker's endpoints")
      ->group("Identity");
  g->add_option("--component", o.component, "Component name")->group("Identity");
  g->add_option("--endpoint", o.endpoint, "Name of the generate endpoint")->group("Identity");
  g->add_option("--model-name", o.model_name, "Served model name (discovery record, `model` label)")
      ->group("Identity");

  g->add_option("--block-size", o.block_size, "Tokens per KV block (prefix hashing unit)")
      ->group("KV cache");
  g->add_option("--num-gpu-blocks", o.num_gpu_blocks, "Device (G1) KV blocks")->group("KV cache");
  g->add_option("--host-blocks", o.host_blocks,
                "Host (G2) KV blocks; G1 evictions offload here. 0: no host tier")
      ->group("KV cache");
  g->add_option("--disk-cache-mib", o.disk_cache_mib,
                "Disk (G3) tier size in MiB (4 KiB files per block); G2 evictions offload here. "
                "0: no disk tier")
      ->group("KV cache");
  g->add_option("--disk-dir", o.disk_dir,
                "Where the disk tier makes its directory dynobs-kv-<worker id> (removed at exit); "
                "default $TMPDIR or /tmp")
      ->group("KV cache");
  g->add_flag("--no-prefix-caching", o.no_prefix_caching, "Do not reuse cached prompt prefixes")
      ->group("KV cache");

  g->add_option("--max-num-seqs", o.max_num_seqs, "Sequences in a batch at most")
      ->group("Scheduler");
  g->add_option("--max-num-batched-tokens", o.max_num_batched_tokens,
                "Tokens (prefill + decode) in one iteration at most")
      ->group("Scheduler");
  g->add_option("--context-length", o.context_length, "Prompt plus output tokens at most")
      ->group("Scheduler");
  g->add_flag("--no-chunked-prefill", o.no_chunked_prefill,
              "Prefill a prompt in one iteration (prompts over max-num-batched-tokens refused)")
      ->group("Scheduler");
  g->add_option("--seed", o.seed, "Seed of the generated tokens (deterministic output)")
      ->group("Scheduler");

  g->add_option("--speedup", o.speedup, "Divides every iteration's duration (>= 0.01)")
      ->group("Timing");
  g->add_flag("--zero-delay", o.zero_delay, "Iterations take no time (benchmarks)")
      ->group("Timing");
  g->add_option("--step-base-ms", o.step_base_ms, "Fixed cost of an iteration")->group("Timing");
  g->add_option("--prefill-ms-per-token", o.prefill_ms_per_token,
                "Cost of each new (uncached) prompt token")
      ->group("Timing");
  g->add_option("--decode-ms-per-seq", o.decode_ms_per_sequence,
                "Cost of each decoding sequence in an iteration")
      ->group("Timing");
  g->add_option("--decode-ms-per-1k-kv", o.decode_ms_per_1k_kv_tokens,
                "Cost per 1000 KV tokens the decoding sequences attend to")
      ->group("Timing");

  g->add_option("--request-plane-host", o.request_plane_host,
                "Address the request plane listens on (0.0.0.0 for callers on other machines)")
      ->group("Request plane");
  g->add_option("--request-plane-port", o.request_plane_port, "Port; 0: a free one (logged)")
      ->check(CLI::Range(0, 65535))
      ->group("Request plane");
  g->add_option("--advertise-host", o.advertise_host,
                "Host callers dial, as recorded in discovery (default: the listen address, or "
                "127.0.0.1 for a wildcard)")
      ->group("Request plane");
  g->add_option("--max-concurrent-streams", o.max_concurrent_streams,
                "Streams in flight at most; more get an overload error at once")
      ->check(CLI::Range(1, 1 << 20))
      ->group("Request plane");
  g->add_option("--max-request-mib", o.max_request_mib, "Largest request accepted, MiB")
      ->check(CLI::Range(1, 1024))
      ->group("Request plane");
  g->add_option("--max-prompt-tokens", o.max_prompt_tokens,
                "Longest prompt accepted before it reaches the engine")
      ->check(CLI::Range(1, 1 << 24))
      ->group("Request plane");
  g->add_flag("--no-observability", o.no_observability,
              "For benchmarks: serve without work-handler metrics, handle_payload spans and "
              "request logs (the baseline of their cost)")
      ->group("Request plane");

  g->add_option("--system-port", o.system_port,
                "System status server port: -1 off, 0 a free port (logged), 1..65535. "
                "Overrides DYN_SYSTEM_PORT.")
      ->check(CLI::Range(-1, 65535))
      ->group("Process");
  g->add_option("--system-host", o.system_host,
                "Address the system status server binds to (default 0.0.0.0, or "
                "DYN_SYSTEM_HOST).")
      ->group("Process");
  g->add_option("--io-threads", o.io_threads, "Event-loop threads (0: one per core)")
      ->check(CLI::Range(0, 256))
      ->group("Process");
  g->add_option("--shutdown-grace-ms", o.shutdown_grace_ms,
                "After SIGTERM/SIGINT: deregister, then let streams in flight finish this long "
                "before they are cancelled")
      ->check(CLI::Range(0, 600000))
      ->group("Process");
  cmd->footer(
      "Environment: discovery DYN_DISCOVERY_BACKEND (file|etcd|mem), DYN_DISCOVERY_DIR, "
      "ETCD_ENDPOINTS, DYN_DISCOVERY_TTL_SECONDS; KVBM DYN_KVBM_METRICS, DYN_KVBM_METRICS_PORT; "
      "system server DYN_SYSTEM_PORT, DYN_SYSTEM_HOST, DYN_SYSTEM_HEALTH_PATH, "
      "DYN_SYSTEM_LIVE_PATH, DYN_SYSTEM_STARTING_HEALTH_STATUS, "
      "DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS, DYN_SYSTEM_METRICS_TOKEN, "
      "DYN_METRICS_MAX_SERIES_PER_FAMILY; logging DYN_LOG, DYN_LOGGING_JSONL, "
      "DYN_LOGGING_SPAN_EVENTS, DYN_LOG_USE_LOCAL_TZ, DYN_SDK_DISABLE_ANSI_LOGGING, "
      "DYN_LOG_PAYLOADS; tracing OTEL_EXPORT_ENABLED, OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, "
      "OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLE_RATIO. See docs/configuration.md.");
}

int RunWorker(const WorkerOptions& options) {
  ShutdownSignal::Block();
  env::Reader env(env::ProcessSource());
  // Every setting is checked before anything starts: one line and exit 2 for a bad one.
  WorkerEnv config = LoadEnvOrExit(env, options);
  OrExit(EngineConfigFrom(options, "").status(), "worker");
  std::unique_ptr<Telemetry> telemetry = Telemetry::InitOrExit(env);
  for (const auto& w : config.system.warnings) DYNOBS_LOG(kWarn, kTarget, w);
  metrics::SetDefaultSeriesLimit(config.system.max_series_per_family);

  auto drt = OrExit(runtime::DistributedRuntime::Create(
                        {.starting_status = config.system.starting_status,
                         .use_endpoint_health_status = config.system.use_endpoint_health_status}),
                    "runtime");
  const uint64_t worker_id = drt->instance_id();
  int threads = options.io_threads > 0
                    ? options.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::EventLoop loop(threads);
  loop.Start();

  // The engine, and the metrics read from it at scrape time.
  auto engine = OrExit(llm::mocker::MockEngine::Create(
                           loop, *EngineConfigFrom(options, ChooseDiskDir(options, worker_id))),
                       "mock engine");
  auto component = drt->GetNamespace(options.namespace_name)->GetComponent(options.component);
  auto generate = component->NewEndpoint(options.endpoint);
  auto load_metrics = component->NewEndpoint("load_metrics");
  auto worker_gauges = std::make_shared<metrics::Registry>();
  OrExit(llm::mocker::RegisterWorkerGauges(*worker_gauges, *engine, options.model_name,
                                           options.component, 0),
         "worker gauges");
  drt->metrics().registry()->AddChild(worker_gauges);
  std::unique_ptr<runtime::MetricsServer> kvbm_server;
  if (config.kvbm.enabled) {
    auto kvbm = OrExit(llm::mocker::NewKvbmRegistry(*engine), "kvbm metrics");
    kvbm_server = std::make_unique<runtime::MetricsServer>(loop, kvbm, "0.0.0.0", config.kvbm.port);
    // Loud, as Dynamo (whose KVBM server panics when it cannot bind).
    OrExit(kvbm_server->Start(), fmt::format("KVBM metrics server on port {}", config.kvbm.port));
    DYNOBS_LOG(kInfo, kTarget, "KVBM metrics server started", {"port", kvbm_server->port()});
  }

  // The request plane: generate and load_metrics.
  llm::LoadPublisher publisher(loop, *engine, worker_id, component->metrics());
  runtime::RequestPlaneServer plane(loop,
                                    {.host = options.request_plane_host,
                                     .port = static_cast<uint16_t>(options.request_plane_port),
                                     .advertise_host = options.advertise_host,
                                     .max_request_bytes = size_t{options.max_request_mib} << 20,
                                     .max_concurrent_streams = options.max_concurrent_streams,
                                     .observability = !options.no_observability,
                                     .registry = drt->metrics().registry()});
  // Both endpoints carry the `model` label, as Dynamo's backends add it (one family, one label
  // set).
  const runtime::EndpointOptions labelled{.metrics_labels = {{"model", options.model_name}}};
  OrExit(plane.AddEndpoint(
             options.endpoint,
             llm::MakeGenerateHandler(*engine, {.max_prompt_tokens = options.max_prompt_tokens}),
             generate->metrics(), labelled),
         "generate endpoint");
  OrExit(plane.AddEndpoint("load_metrics", publisher.Handler(), load_metrics->metrics(), labelled),
         "load_metrics endpoint");
  OrExit(plane.Start(), fmt::format("request plane on {}:{}", options.request_plane_host,
                                    options.request_plane_port));

  std::unique_ptr<runtime::SystemStatusServer> status_server;
  if (config.system.port >= 0) {
    status_server = std::make_unique<runtime::SystemStatusServer>(
        loop, drt,
        runtime::SystemStatusServer::Options{.host = config.system.host,
                                             .port = static_cast<uint16_t>(config.system.port),
                                             .health_path = config.system.health_path,
                                             .live_path = config.system.live_path,
                                             .metrics_token = config.system.metrics_token});
    // Loud, unlike Dynamo (which goes on without its server): a worker nobody can scrape or
    // probe is a worker an operator cannot see.
    OrExit(status_server->Start(), "system status server");
  } else {
    DYNOBS_LOG(kInfo, kTarget, "system status server disabled (DYN_SYSTEM_PORT=-1)");
  }

  auto discovery = OrExit(runtime::CreateDiscovery(config.discovery), "discovery");
  Registration registration(
      *discovery,
      runtime::Instance{.path = {options.namespace_name, options.component, options.endpoint},
                        .instance_id = worker_id,
                        .address = plane.address(),
                        .model = ModelInfoFrom(options)});
  registration.Start();
  // Serving: both endpoints are Ready (as Dynamo's endpoint registration does with the canary
  // off), and so is the worker, as a Dynamo backend whose generate endpoint is its health target.
  SetServing(drt->health(), options.endpoint, health::HealthStatus::kReady);
  DYNOBS_LOG(kInfo, kTarget, "worker started", {"worker_id", fmt::format("{:x}", worker_id)},
             {"pid", getpid()}, {"request_plane", plane.address()}, {"model", options.model_name});

  int sig = ShutdownSignal::Wait();
  DYNOBS_LOG(kInfo, kTarget, "shutting down", {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"});
  // Not ready from now on (Dynamo sets its endpoints NotReady when their loops end), not live.
  SetServing(drt->health(), options.endpoint, health::HealthStatus::kNotReady);
  drt->health().SetShuttingDown();
  registration.Deregister();  // first: callers stop choosing this worker
  publisher.Stop();           // subscribers end cleanly
  plane.Stop(std::chrono::milliseconds(options.shutdown_grace_ms));
  engine->Stop();
  if (kvbm_server) kvbm_server->Stop();
  if (status_server) status_server->Stop(std::chrono::milliseconds(options.shutdown_grace_ms));
  loop.Stop();
  DYNOBS_LOG(kInfo, kTarget, "worker stopped");
  return 0;
}

}  // namespace dynobs::app
