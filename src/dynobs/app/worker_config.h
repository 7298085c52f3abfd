#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/runtime/discovery/instance.h"

namespace dynobs::app {

// Everything `dynobs worker` takes on its command line (docs/configuration.md, "Worker").
struct WorkerOptions {
  // System status server.
  std::optional<int> system_port;  // overrides DYN_SYSTEM_PORT
  std::optional<std::string> system_host;
  int io_threads = 0;  // 0: one per core
  int shutdown_grace_ms = 5000;

  // Where the worker appears in discovery and in the auto labels of its metrics.
  std::string namespace_name = "dynamo";
  std::string component = "backend";
  std::string endpoint = "generate";
  std::string model_name = "mock-llm";

  // Mock engine: KV cache.
  uint32_t block_size = 16;
  uint32_t num_gpu_blocks = 8192;
  uint32_t host_blocks = 0;     // G2; 0: none
  uint64_t disk_cache_mib = 0;  // G3; 0: none
  std::string disk_dir;         // G3 block files; default a temp dir removed at exit
  bool no_prefix_caching = false;
  // Mock engine: scheduler.
  uint32_t max_num_seqs = 256;
  uint32_t max_num_batched_tokens = 8192;
  uint32_t context_length = 32768;
  bool no_chunked_prefill = false;
  uint64_t seed = 0;
  // Mock engine: timing.
  double speedup = 1.0;
  bool zero_delay = false;
  double step_base_ms = 4.0;
  double prefill_ms_per_token = 0.02;
  double decode_ms_per_sequence = 0.05;
  double decode_ms_per_1k_kv_tokens = 0.03;

  // Request plane.
  std::string request_plane_host = "127.0.0.1";
  int request_plane_port = 0;  // 0: a free port
  std::string advertise_host;  // what discovery records; default the bind host
  uint32_t max_concurrent_streams = 1024;
  uint32_t max_request_mib = 16;
  uint32_t max_prompt_tokens = 131072;
  // Benchmarks only: no work-handler metrics, handle_payload spans or lifecycle logs.
  bool no_observability = false;
};

// DYN_KVBM_METRICS (truthy: serve kvbm_* on their own port) and DYN_KVBM_METRICS_PORT (default
// 6880, 0 a free port). A bad value is an InvalidArgument naming the variable (decided
// difference 1: Dynamo falls back to 6880 with a WARN).
struct KvbmSettings {
  bool enabled = false;
  uint16_t port = 6880;
};
[[nodiscard]] StatusOr<KvbmSettings> LoadKvbmSettings(const env::Reader& env);

// The mock engine's configuration from the options; `disk_dir` is the directory to use for G3
// (the caller creates it when the options name none). InvalidArgument naming the flag when the
// combination cannot work (for example a block size of 0). A request too big for G1 fails on
// its own, with RESOURCE_EXHAUSTED.
[[nodiscard]] StatusOr<llm::mocker::MockEngine::Config> EngineConfigFrom(
    const WorkerOptions& options, const std::string& disk_dir);

// What discovery says about the model this worker serves.
[[nodiscard]] runtime::ModelInfo ModelInfoFrom(const WorkerOptions& options);

}  // namespace dynobs::app
