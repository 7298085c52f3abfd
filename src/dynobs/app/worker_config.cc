#include "dynobs/app/worker_config.h"

#include <fmt/format.h>

namespace dynobs::app {

StatusOr<KvbmSettings> LoadKvbmSettings(const env::Reader& env) {
  KvbmSettings s;
  auto enabled = env.Bool("DYN_KVBM_METRICS");
  if (!enabled.ok()) return enabled.status();
  s.enabled = enabled->value_or(false);
  auto port = env.Int("DYN_KVBM_METRICS_PORT", 0, 65535);
  if (!port.ok()) return port.status();
  if (*port) s.port = static_cast<uint16_t>(**port);
  return s;
}

StatusOr<llm::mocker::MockEngine::Config> EngineConfigFrom(const WorkerOptions& o,
                                                           const std::string& disk_dir) {
  if (o.block_size == 0 || o.block_size > 1024) {
    return InvalidArgumentError(fmt::format("--block-size {}: expected 1..1024", o.block_size));
  }
  if (o.num_gpu_blocks == 0) return InvalidArgumentError("--num-gpu-blocks 0: expected >= 1");
  if (o.max_num_seqs == 0) return InvalidArgumentError("--max-num-seqs 0: expected >= 1");
  if (o.max_num_batched_tokens == 0) {
    return InvalidArgumentError("--max-num-batched-tokens 0: expected >= 1");
  }
  if (o.context_length < 2) {
    return InvalidArgumentError(
        fmt::format("--context-length {}: expected >= 2", o.context_length));
  }
  if (o.speedup < 0.01) {
    return InvalidArgumentError(fmt::format("--speedup {}: expected >= 0.01", o.speedup));
  }
  llm::mocker::MockEngine::Config c;
  c.kv.block_size = o.block_size;
  c.kv.device_blocks = o.num_gpu_blocks;
  c.kv.host_blocks = o.host_blocks;
  c.kv.disk_bytes = o.disk_cache_mib << 20;
  c.kv.disk_dir = disk_dir;
  c.kv.prefix_caching = !o.no_prefix_caching;
  if (c.kv.disk_bytes > 0 && c.kv.disk_bytes < c.kv.disk_block_bytes) {
    return InvalidArgumentError("--disk-cache-mib: too small for one block");
  }
  c.scheduler.max_num_seqs = o.max_num_seqs;
  c.scheduler.max_num_batched_tokens = o.max_num_batched_tokens;
  c.scheduler.chunked_prefill = !o.no_chunked_prefill;
  c.scheduler.context_length = o.context_length;
  c.scheduler.seed = o.seed;
  c.timing.step_base_ms = o.step_base_ms;
  c.timing.prefill_ms_per_token = o.prefill_ms_per_token;
  c.timing.decode_ms_per_sequence = o.decode_ms_per_sequence;
  c.timing.decode_ms_per_1k_kv_tokens = o.decode_ms_per_1k_kv_tokens;
  c.timing.speedup = o.speedup;
  c.timing.zero_delay = o.zero_delay;
  return c;
}

runtime::ModelInfo ModelInfoFrom(const WorkerOptions& o) {
  return {.name = o.model_name,
          .context_length = o.context_length,
          .kv_block_size = o.block_size,
          .total_kv_blocks = o.num_gpu_blocks,
          .max_num_seqs = o.max_num_seqs,
          .max_num_batched_tokens = o.max_num_batched_tokens};
}

}  // namespace dynobs::app
