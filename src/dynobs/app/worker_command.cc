#include "dynobs/app/worker_command.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "dynobs/app/shutdown_signal.h"
#include "dynobs/app/telemetry.h"
#include "dynobs/common/env.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/logging/log.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/runtime/distributed_runtime.h"
#include "dynobs/runtime/system_config.h"
#include "dynobs/runtime/system_status_server.h"

namespace dynobs::app {
namespace {

constexpr const char* kTarget = "dynobs::worker";

runtime::SystemConfig LoadConfigOrExit(const env::Reader& env, const WorkerOptions& options) {
  auto config = runtime::LoadSystemConfig(env);
  if (!config.ok()) ExitWithConfigError(config.status());
  if (options.system_port) config->port = *options.system_port;
  if (options.system_host) config->host = *options.system_host;
  return std::move(*config);
}

}  // namespace

void AddWorkerCommand(CLI::App& app, WorkerOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "worker",
      "Run a worker process. It serves its system status server on DYN_SYSTEM_PORT: /metrics "
      "(Prometheus text, OpenMetrics, gzip), /health and /ready (readiness), /live (liveness).");
  cmd->add_option("--system-port", options.system_port,
                  "System status server port: -1 off, 0 a free port (logged), 1..65535. "
                  "Overrides DYN_SYSTEM_PORT.")
      ->check(CLI::Range(-1, 65535));
  cmd->add_option("--system-host", options.system_host,
                  "Address the system status server binds to (default 0.0.0.0, or "
                  "DYN_SYSTEM_HOST).");
  cmd->add_option("--io-threads", options.io_threads,
                  "Threads running the event loop (default: one per core).")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--shutdown-grace-ms", options.shutdown_grace_ms,
                  "How long requests in flight may finish after SIGTERM/SIGINT (default 5000).")
      ->check(CLI::Range(0, 600000));
  cmd->footer(
      "Environment: DYN_SYSTEM_PORT, DYN_SYSTEM_HOST, DYN_SYSTEM_HEALTH_PATH, "
      "DYN_SYSTEM_LIVE_PATH, DYN_SYSTEM_STARTING_HEALTH_STATUS, "
      "DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS, DYN_SYSTEM_METRICS_TOKEN, "
      "DYN_METRICS_MAX_SERIES_PER_FAMILY; logging: DYN_LOG, DYN_LOGGING_JSONL, "
      "DYN_LOGGING_SPAN_EVENTS, DYN_LOG_USE_LOCAL_TZ, DYN_SDK_DISABLE_ANSI_LOGGING, "
      "DYN_LOG_PAYLOADS; tracing: OTEL_EXPORT_ENABLED, OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, "
      "OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLE_RATIO. See docs/configuration.md.");
}

int RunWorker(const WorkerOptions& options) {
  ShutdownSignal::Block();
  env::Reader env(env::ProcessSource());
  runtime::SystemConfig config = LoadConfigOrExit(env, options);  // all settings checked first
  std::unique_ptr<Telemetry> telemetry = Telemetry::InitOrExit(env);
  for (const auto& w : config.warnings) DYNOBS_LOG(kWarn, kTarget, w);
  metrics::SetDefaultSeriesLimit(config.max_series_per_family);

  auto drt = runtime::DistributedRuntime::Create(
      {.starting_status = config.starting_status,
       .use_endpoint_health_status = config.use_endpoint_health_status});
  if (!drt.ok()) {
    DYNOBS_LOG(kError, kTarget, "cannot create the runtime", {"error", drt.status().message()});
    return 1;
  }
  int threads = options.io_threads > 0
                    ? options.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::EventLoop loop(threads);
  loop.Start();

  std::unique_ptr<runtime::SystemStatusServer> server;
  if (config.port >= 0) {
    server = std::make_unique<runtime::SystemStatusServer>(
        loop, *drt,
        runtime::SystemStatusServer::Options{.host = config.host,
                                             .port = static_cast<uint16_t>(config.port),
                                             .health_path = config.health_path,
                                             .live_path = config.live_path,
                                             .metrics_token = config.metrics_token});
    if (Status s = server->Start(); !s.ok()) {
      // Loud, unlike Dynamo (which goes on without its server): a worker nobody can scrape or
      // probe is a worker an operator cannot see.
      ExitWithConfigError(Status(s.code(), "system status server: " + s.message()));
    }
  } else {
    DYNOBS_LOG(kInfo, kTarget, "system status server disabled (DYN_SYSTEM_PORT=-1)");
  }
  DYNOBS_LOG(kInfo, kTarget, "worker started",
             {"worker_id", fmt::format("{:x}", (*drt)->instance_id())}, {"pid", getpid()});

  int sig = ShutdownSignal::Wait();
  DYNOBS_LOG(kInfo, kTarget, "shutting down", {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"});
  (*drt)->health().SetShuttingDown();
  if (server) server->Stop(std::chrono::milliseconds(options.shutdown_grace_ms));
  loop.Stop();
  DYNOBS_LOG(kInfo, kTarget, "worker stopped");
  return 0;
}

}  // namespace dynobs::app
