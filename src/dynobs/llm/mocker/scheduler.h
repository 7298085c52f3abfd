#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dynobs/llm/mocker/kv_block_manager.h"
#include "dynobs/llm/mocker/timing_model.h"
#include "dynobs/llm/mocker/tokenizer.h"

namespace dynobs::llm::mocker {

enum class FinishReason : uint8_t { kNone, kLength, kStop, kCancelled };

struct GenerationRequest {
  uint64_t id = 0;
  std::vector<uint32_t> prompt;  // token ids
  uint32_t max_tokens = 16;
  std::vector<std::string> stop;  // stop strings, matched on the generated text
};

// What one request got from one iteration.
struct TokenOutput {
  uint64_t id = 0;
  std::vector<uint32_t> tokens;  // new tokens (one per iteration)
  bool first = false;            // the request's first output
  uint32_t cached_tokens = 0;    // prompt tokens found cached (on the first output)
  FinishReason finish = FinishReason::kNone;
};

struct StepResult {
  std::vector<TokenOutput> outputs;
  uint32_t prefill_tokens = 0;  // new tokens computed in prefill
  uint32_t decode_sequences = 0;
  uint64_t decode_kv_tokens = 0;
  uint32_t preempted = 0;
  double duration_ms = 0;  // from the timing model
  [[nodiscard]] bool idle() const { return prefill_tokens == 0 && decode_sequences == 0; }
};

// The mock engine's continuous-batching scheduler (vLLM's policy, simplified).
//
// Each Step() is one iteration: every running sequence in decode gets one token, running
// sequences still in prefill get chunks of their prompt, and waiting requests are admitted in
// order while there is room (max_num_seqs, max_num_batched_tokens per iteration, KV blocks).
// A prefix found in the KV cache skips its prefill. When a decoding sequence needs a block and
// none can be had, the most recently admitted running sequence is preempted: its blocks are
// freed and it goes back to the head of the queue, to be recomputed (prompt and output so far).
//
// Thread safety: none; one engine thread drives it.
class Scheduler {
 public:
  struct Config {
    uint32_t max_num_seqs = 256;
    uint32_t max_num_batched_tokens = 8192;
    bool chunked_prefill = true;
    uint32_t context_length = 32768;
    uint64_t seed = 0;
  };

  Scheduler(Config config, KvBlockManager* kv, TimingModel timing);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. Fails (nothing queued) when it can never run: an empty prompt, a prompt
  // longer than the context, or (without chunked prefill) longer than max_num_batched_tokens.
  [[nodiscard]] Status Add(GenerationRequest request);
  // Drops a request wherever it is; its blocks are freed. False if unknown or already finished.
  bool Cancel(uint64_t id);
  [[nodiscard]] StepResult Step();

  [[nodiscard]] size_t waiting() const { return waiting_.size(); }
  [[nodiscard]] size_t running() const { return running_.size(); }
  // Load for the router: KV blocks held by decoding sequences, prompt tokens not yet computed.
  [[nodiscard]] uint64_t active_decode_blocks() const;
  [[nodiscard]] uint64_t active_prefill_tokens() const;

 private:
  struct Sequence;
  struct Scheduled {
    Sequence* seq;
    uint32_t tokens;
  };

  bool ScheduleDecodes(std::vector<Scheduled>& plan, uint32_t& budget, StepResult& result);
  void SchedulePrefills(std::vector<Scheduled>& plan, uint32_t& budget);
  void Admit(std::vector<Scheduled>& plan, uint32_t& budget);
  void Preempt(Sequence* victim, StepResult& result);
  void Execute(const std::vector<Scheduled>& plan, StepResult& result);
  bool Emit(Sequence& seq, TokenOutput& out);

  Config config_;
  KvBlockManager* kv_;
  TimingModel timing_;
  std::unordered_map<uint64_t, std::unique_ptr<Sequence>> sequences_;
  std::deque<Sequence*> waiting_;
  std::list<Sequence*> running_;  // admission order
};

}  // namespace dynobs::llm::mocker
