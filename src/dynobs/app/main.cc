// dynobs: an observability runtime for distributed LLM serving, compatible with NVIDIA Dynamo's
// metrics, health endpoints, logs and traces.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "dynobs/app/bench_command.h"
#include "dynobs/app/call_command.h"
#include "dynobs/app/frontend_command.h"
#include "dynobs/app/serve_command.h"
#include "dynobs/app/tracecontext_test_service.h"
#include "dynobs/app/worker_command.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app(
      "dynobs: distributed LLM serving with Dynamo-compatible observability.\n"
      "Docs: docs/ (configuration.md lists every setting).",
      "dynobs");
  app.require_subcommand(1);
  dynobs::app::WorkerOptions worker;
  dynobs::app::AddWorkerCommand(app, worker);
  dynobs::app::BenchOptions bench;
  dynobs::app::AddBenchCommand(app, bench);
  dynobs::app::ServeOptions serve;
  dynobs::app::AddServeCommand(app, serve);
  dynobs::app::FrontendCommandOptions frontend;
  dynobs::app::AddFrontendCommand(app, frontend);
  dynobs::app::CallOptions call;
  dynobs::app::AddCallCommand(app, call);
  dynobs::app::TracecontextTestServiceOptions tracecontext;
  dynobs::app::AddTracecontextTestServiceCommand(app, tracecontext);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a bad flag exits 2, as a bad setting in the environment does.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (app.got_subcommand("worker")) return dynobs::app::RunWorker(worker);
  if (app.got_subcommand("call")) return dynobs::app::RunCall(call);
  if (app.got_subcommand("frontend")) return dynobs::app::RunFrontend(frontend);
  if (app.got_subcommand("serve")) return dynobs::app::RunServe(serve);
  if (app.got_subcommand("bench")) return dynobs::app::RunBench(bench);
  if (app.got_subcommand("tracecontext-test-service")) {
    return dynobs::app::RunTracecontextTestService(tracecontext);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dynobs: %s\n", e.what());
    return 1;
  }
}
