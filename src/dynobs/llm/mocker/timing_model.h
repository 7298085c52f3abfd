#pragma once

#include <cstdint>

namespace dynobs::llm::mocker {

// How long one scheduler iteration of the mock engine takes, shaped like a continuous-batching
// engine on a GPU: a fixed cost per iteration, prefill that grows with the new (uncached) prompt
// tokens computed, and decode that grows with the batch size and with the KV tokens the batch
// attends to. The defaults are in the range of an 8B model on one H100.
struct TimingModel {
  double step_base_ms = 4.0;                 // per iteration (kernel launches, sampling)
  double prefill_ms_per_token = 0.02;        // new prompt tokens computed this iteration
  double decode_ms_per_sequence = 0.05;      // sequences decoding this iteration
  double decode_ms_per_1k_kv_tokens = 0.03;  // KV tokens the decoding sequences attend to
  double speedup = 1.0;                      // divides every duration (>= 0.01)
  bool zero_delay = false;                   // every iteration takes no time (benchmarks)

  [[nodiscard]] double StepMs(uint32_t prefill_tokens, uint32_t decode_sequences,
                              uint64_t decode_kv_tokens) const {
    if (zero_delay || (prefill_tokens == 0 && decode_sequences == 0)) return 0;
    double ms = step_base_ms + prefill_ms_per_token * prefill_tokens +
                decode_ms_per_sequence * decode_sequences +
                decode_ms_per_1k_kv_tokens * static_cast<double>(decode_kv_tokens) / 1000.0;
    return ms / speedup;
  }
};

}  // namespace dynobs::llm::mocker
