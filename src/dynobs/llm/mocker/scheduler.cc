#include "dynobs/llm/mocker/scheduler.h"

#include <algorithm>

#include <fmt/format.h>

#include "dynobs/llm/mocker/block_hash.h"

namespace dynobs::llm::mocker {

struct Scheduler::Sequence {
  Sequence(GenerationRequest r, uint64_t seed)
      : request(std::move(r)),
        tokens(request.prompt),
        prompt_len(static_cast<uint32_t>(request.prompt.size())),
        generator(seed ^ (request.id * 0x9e3779b97f4a7c15ULL)) {}

  [[nodiscard]] uint32_t outputs() const {
    return static_cast<uint32_t>(tokens.size()) - prompt_len;
  }
  [[nodiscard]] uint32_t remaining() const {
    return static_cast<uint32_t>(tokens.size()) - computed;
  }

  GenerationRequest request;
  std::vector<uint32_t> tokens;  // prompt, then the output so far
  uint32_t prompt_len;
  uint32_t computed = 0;  // tokens whose KV is computed
  uint32_t cached = 0;    // prompt tokens found cached at the first admission
  bool emitted_any = false;
  bool running = false;
  TextGenerator generator;
  std::string text;  // generated text, kept only when there are stop strings
  std::list<Sequence*>::iterator running_pos;
};

Scheduler::Scheduler(Config config, KvBlockManager* kv, TimingModel timing)
    : config_(config), kv_(kv), timing_(timing) {}

Scheduler::~Scheduler() = default;

Status Scheduler::Add(GenerationRequest request) {
  size_t prompt = request.prompt.size();
  if (prompt == 0) return InvalidArgumentError("the prompt is empty");
  if (sequences_.contains(request.id)) {
    return AlreadyExistsError(fmt::format("request {} is already queued", request.id));
  }
  if (prompt + 1 > config_.context_length) {
    return InvalidArgumentError(fmt::format("the prompt has {} tokens; the context length is {}",
                                            prompt, config_.context_length));
  }
  if (!config_.chunked_prefill && prompt > config_.max_num_batched_tokens) {
    return InvalidArgumentError(fmt::format(
        "the prompt has {} tokens; without chunked prefill at most {} fit in an iteration", prompt,
        config_.max_num_batched_tokens));
  }
  size_t total = std::min<size_t>(prompt + request.max_tokens, config_.context_length);
  size_t blocks = (total + kv_->block_size() - 1) / kv_->block_size();
  if (blocks > kv_->total_blocks()) {
    return ResourceExhaustedError(fmt::format("the request needs {} KV blocks; the cache has {}",
                                              blocks, kv_->total_blocks()));
  }
  auto seq = std::make_unique<Sequence>(std::move(request), config_.seed);
  waiting_.push_back(seq.get());
  sequences_[seq->request.id] = std::move(seq);
  return Status::Ok();
}

bool Scheduler::Cancel(uint64_t id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return false;
  Sequence* s = it->second.get();
  if (s->running) {
    kv_->Release(id);
    running_.erase(s->running_pos);
  } else {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), s));
  }
  sequences_.erase(it);
  return true;
}

void Scheduler::Preempt(Sequence* victim, StepResult& result) {
  kv_->Release(victim->request.id);
  running_.erase(victim->running_pos);
  victim->running = false;
  victim->computed = 0;
  waiting_.push_front(victim);
  ++result.preempted;
}

bool Scheduler::ScheduleDecodes(std::vector<Scheduled>& plan, uint32_t& budget,
                                StepResult& result) {
  std::vector<Sequence*> decoding;
  for (Sequence* s : running_) {
    if (s->remaining() == 1) decoding.push_back(s);
  }
  for (Sequence* s : decoding) {
    if (!s->running) continue;  // preempted to make room for an earlier one
    if (budget == 0) return false;
    bool ok = kv_->Grow(s->request.id, s->computed + 1);
    while (!ok) {
      Sequence* victim = running_.back();
      Preempt(victim, result);
      if (victim == s) break;
      ok = kv_->Grow(s->request.id, s->computed + 1);
    }
    if (!ok) continue;
    plan.push_back({s, 1});
    --budget;
  }
  return true;
}

void Scheduler::SchedulePrefills(std::vector<Scheduled>& plan, uint32_t& budget) {
  for (Sequence* s : running_) {
    if (budget == 0) return;
    uint32_t remaining = s->remaining();
    if (remaining <= 1) continue;  // decoding: already planned
    uint32_t n = std::min(remaining, budget);
    if ((!config_.chunked_prefill && n < remaining) || !kv_->Grow(s->request.id, s->computed + n)) {
      continue;
    }
    plan.push_back({s, n});
    budget -= n;
  }
}

void Scheduler::Admit(std::vector<Scheduled>& plan, uint32_t& budget) {
  while (!waiting_.empty() && running_.size() < config_.max_num_seqs && budget > 0) {
    Sequence* s = waiting_.front();
    std::vector<uint64_t> hashes = ComputeBlockHashes(s->tokens, kv_->block_size());
    auto total = static_cast<uint32_t>(s->tokens.size());
    auto cached = kv_->Admit(s->request.id, hashes, total);
    if (!cached) return;                         // no room on the device now
    s->computed = std::min(*cached, total - 1);  // compute at least one token
    if (!s->emitted_any) s->cached = std::min(*cached, s->prompt_len);
    uint32_t n = std::min(s->remaining(), budget);
    if (!config_.chunked_prefill && n < s->remaining()) {
      kv_->Release(s->request.id);
      return;
    }
    waiting_.pop_front();
    running_.push_back(s);
    s->running_pos = std::prev(running_.end());
    s->running = true;
    plan.push_back({s, n});
    budget -= n;
  }
}

bool Scheduler::Emit(Sequence& s, TokenOutput& out) {
  uint32_t token = s.generator.NextToken();
  s.tokens.push_back(token);
  out.id = s.request.id;
  out.tokens.push_back(token);
  out.first = !s.emitted_any;
  if (out.first) out.cached_tokens = s.cached;
  s.emitted_any = true;
  if (!s.request.stop.empty()) {
    size_t before = s.text.size();
    Tokenizer::AppendPiece(token, s.text);
    for (const std::string& stop : s.request.stop) {
      size_t from = before >= stop.size() ? before - stop.size() + 1 : 0;
      if (!stop.empty() && s.text.find(stop, from) != std::string::npos) {
        out.finish = FinishReason::kStop;
      }
    }
  }
  if (out.finish == FinishReason::kNone &&
      (s.outputs() >= s.request.max_tokens || s.tokens.size() >= config_.context_length)) {
    out.finish = FinishReason::kLength;
  }
  return out.finish != FinishReason::kNone;
}

void Scheduler::Execute(const std::vector<Scheduled>& plan, StepResult& result) {
  for (const Scheduled& p : plan) {
    Sequence& s = *p.seq;
    if (s.remaining() == 1) {
      ++result.decode_sequences;
      result.decode_kv_tokens += s.computed + 1;
    } else {
      result.prefill_tokens += p.tokens;
    }
    s.computed += p.tokens;
    kv_->Commit(s.request.id, std::span<const uint32_t>(s.tokens.data(), s.computed));
    if (s.computed < s.tokens.size()) continue;  // a prefill chunk; more to come
    TokenOutput out;
    bool finished = Emit(s, out);
    result.outputs.push_back(std::move(out));
    if (finished) {
      kv_->Release(s.request.id);
      running_.erase(s.running_pos);
      sequences_.erase(s.request.id);
    }
  }
}

StepResult Scheduler::Step() {
  StepResult result;
  std::vector<Scheduled> plan;
  uint32_t budget = config_.max_num_batched_tokens;
  ScheduleDecodes(plan, budget, result);
  SchedulePrefills(plan, budget);
  Admit(plan, budget);
  Execute(plan, result);
  result.duration_ms =
      timing_.StepMs(result.prefill_tokens, result.decode_sequences, result.decode_kv_tokens);
  return result;
}

uint64_t Scheduler::active_decode_blocks() const {
  uint64_t blocks = 0;
  for (const Sequence* s : running_) {
    if (s->remaining() <= 1) blocks += kv_->sequence_blocks(s->request.id);
  }
  return blocks;
}

uint64_t Scheduler::active_prefill_tokens() const {
  uint64_t tokens = 0;
  for (const Sequence* s : running_) {
    if (s->remaining() > 1) tokens += s->remaining();
  }
  for (const Sequence* s : waiting_) tokens += s->tokens.size();
  return tokens;
}

}  // namespace dynobs::llm::mocker
