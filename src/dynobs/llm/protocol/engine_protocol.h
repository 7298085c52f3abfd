#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::llm {

// What the frontend sends a worker's `generate` endpoint over the request plane: Dynamo's
// preprocessed request, tokens already counted and tokenized (spec §6.5 shows the shape):
//   {"token_ids":[...], "model":"...", "sampling_options":{"temperature":0.0},
//    "stop_conditions":{"max_tokens":16,"stop":["..."],"ignore_eos":false}}
// Unknown keys are ignored.
struct EngineRequest {
  std::vector<uint32_t> token_ids;
  std::string model;
  uint32_t max_tokens = 16;
  std::vector<std::string> stop;
  double temperature = 1.0;
  bool health_check = false;  // "_health_check": true marks a canary

  [[nodiscard]] std::string ToJson() const;
  // Bounds what a request may make the worker allocate: at most `max_prompt_tokens` token ids,
  // 16 stop strings of at most 256 bytes, max_tokens in 1..1,000,000.
  static StatusOr<EngineRequest> FromJson(std::string_view json, size_t max_prompt_tokens);
};

// One response item of a `generate` stream: the new tokens and their text; the last item has a
// finish reason. The first item reports how many prompt tokens were found cached.
//   {"token_ids":[...],"text":"...","finish_reason":null|"length"|"stop"|"cancelled",
//    "cached_tokens":N (first item only)}
struct EngineOutput {
  std::vector<uint32_t> token_ids;
  std::string text;
  std::string finish_reason;  // "" while not finished
  std::optional<uint32_t> cached_tokens;

  [[nodiscard]] std::string ToJson() const;
  static StatusOr<EngineOutput> FromJson(std::string_view json);
};

}  // namespace dynobs::llm
