#pragma once

#include "dynobs/app/worker_config.h"

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs worker`: a worker process (docs/configuration.md, "Worker"): the mock engine behind
// the `generate` and `load_metrics` request-plane endpoints, registered in discovery, with its
// system status server and, with DYN_KVBM_METRICS, the KVBM metrics server.
void AddWorkerCommand(CLI::App& app, WorkerOptions& options);
int RunWorker(const WorkerOptions& options);

}  // namespace dynobs::app
