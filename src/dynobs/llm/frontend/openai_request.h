#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::llm::frontend {

// The OpenAI-compatible request bodies the frontend accepts, parsed and validated, with no HTTP
// in it: the HTTP layer hands a body in and gets a request or an INVALID_ARGUMENT Status back,
// which openai_error.h turns into a 400 with an OpenAI-style body.
//
// Accepted as OpenAI documents them, so that the official client libraries work unchanged;
// unknown fields are ignored, and an optional field that is JSON null counts as absent.

// Which API a request came in on; also the `endpoint` label of the dynamo_frontend_* metrics.
enum class ApiEndpoint { kChatCompletions, kCompletions };

// "chat_completions" or "completions" (spec §3.4 label values).
[[nodiscard]] std::string_view EndpointLabel(ApiEndpoint endpoint);

// What a request can make the parser allocate, beyond the body itself (whose size the HTTP layer
// bounds). Exceeding a bound is a validation error, never a truncation.
struct RequestLimits {
  size_t max_messages = 4096;                  // chat: entries of `messages`
  size_t max_content_parts = 4096;             // chat: content parts, all messages together
  size_t max_content_bytes = 4 * 1024 * 1024;  // text of all messages, or the prompt
  size_t max_stop = 4;                         // entries of `stop` (OpenAI's limit)
  size_t max_stop_bytes = 256;                 // bytes of one stop string (the engine's limit)
  uint32_t max_output_tokens = 1'000'000;      // max_tokens / max_completion_tokens (the engine's)
};

// The sampling and output fields both endpoints share. Absent optional fields stay nullopt, so
// the frontend applies its own defaults.
struct GenerationParams {
  std::string model;  // required, non-empty
  // chat: max_completion_tokens when given, else max_tokens; completions: max_tokens.
  std::optional<uint32_t> max_tokens;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage (ignored unless streaming)
  std::optional<double> temperature;  // 0..2
  std::optional<double> top_p;        // (0, 1]
  std::vector<std::string> stop;      // "stop": a string or up to max_stop strings, none empty
  std::optional<int64_t> seed;
  std::string user;
};

enum class ChatRole { kSystem, kUser, kAssistant, kTool, kDeveloper };

// "system", "user", "assistant", "tool" or "developer".
[[nodiscard]] std::string_view RoleName(ChatRole role);

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  // A string content as is; an array of {"type":"text","text":...} parts concatenated with no
  // separator. An assistant message may have null or no content (one that only made tool
  // calls): it reads as "".
  std::string content;

  friend bool operator==(const ChatMessage&, const ChatMessage&) = default;
};

// POST /v1/chat/completions
struct ChatCompletionRequest {
  GenerationParams params;
  std::vector<ChatMessage> messages;  // at least one
};

// POST /v1/completions
struct CompletionRequest {
  GenerationParams params;
  // `prompt`: a string, or an array holding exactly one string. An array of several prompts asks
  // OpenAI for one choice per prompt; with one choice supported that is rejected (400) rather
  // than silently joined or cut. Prompts given as token ids are rejected too.
  std::string prompt;
};

// Parse and validate a chat completions body.
//
// Errors (INVALID_ARGUMENT, message fit for the client): not JSON or not an object; `model`
// missing, not a string or empty; `messages` missing, empty, not an array, or over
// limits.max_messages; a message that is not an object, a role outside
// system|user|assistant|tool|developer, content of the wrong type or a non-text part; content
// text over limits.max_content_bytes in all; a field of the wrong type; max_tokens or
// max_completion_tokens outside 1..limits.max_output_tokens; temperature outside 0..2; top_p
// outside (0, 1]; `n` other than 1; stop over limits.max_stop entries or limits.max_stop_bytes a
// string, or an empty stop string; `seed` not an integer in int64 range.
// When `error_param` is given and parsing fails, it receives the offending field's path as
// OpenAI reports it in `param` (e.g. "temperature", "messages[2].role"), or "" for none.
//
// Thread safety: a pure function.
[[nodiscard]] StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(
    std::string_view body, const RequestLimits& limits, std::string* error_param = nullptr);

// Parse and validate a completions body. Errors as ParseChatCompletionRequest, with `prompt`
// (missing, of the wrong type, an empty array, several prompts, token ids, over
// limits.max_content_bytes) in place of `messages`; max_completion_tokens is not a field here.
[[nodiscard]] StatusOr<CompletionRequest> ParseCompletionRequest(
    std::string_view body, const RequestLimits& limits, std::string* error_param = nullptr);

// The prompt text for a chat: each message as "<|role|>\n" + content + "\n", in order, then
// "<|assistant|>\n" to open the answer. For example
//   [{system,"Be brief."},{user,"Hi"}] -> "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n"
// A simple fixed template: the mock engine tokenizes text, and only the token count and prefix
// reuse (the same conversation prefix gives the same prompt prefix) matter to it.
//
// Thread safety: a pure function.
[[nodiscard]] std::string ApplyChatTemplate(const std::vector<ChatMessage>& messages);

}  // namespace dynobs::llm::frontend
