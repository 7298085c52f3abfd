#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dynobs/common/json_escape.h"
#include "dynobs/llm/frontend/openai_request.h"

namespace dynobs::llm::frontend {

// The OpenAI-compatible response bodies: unary chat completion and completion objects, the SSE
// chunks of a stream, and the model list. JSON is written directly (keys in OpenAI's documented
// order where it has one), not through boost::json: the stream chunk is written once per token.
//
// Text passed in is copied into JSON strings byte for byte, escaped but not checked: it must be
// valid UTF-8 (see Utf8CompleteLength for text cut at a token boundary).

// Token counts for `usage`; total_tokens is prompt + completion.
struct Usage {
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  uint32_t cached_tokens = 0;  // prompt tokens found in the prefix cache
};

// What names one response; the same in every chunk of a stream.
struct ResponseMeta {
  std::string id;       // "chatcmpl-..." or "cmpl-..."
  std::string model;    // the request's model, as sent
  int64_t created = 0;  // Unix seconds
};

// A fresh id: "chatcmpl-" (chat) or "cmpl-" (completions) then 32 random hex digits.
// Thread safety: safe from any thread (a generator per thread).
[[nodiscard]] std::string NewResponseId(ApiEndpoint endpoint);

// A fresh id, `model`, and `created` now.
[[nodiscard]] ResponseMeta NewResponseMeta(ApiEndpoint endpoint, std::string model);

// The unary chat completion object:
//   {"id","object":"chat.completion","created","model","choices":[{"index":0,
//    "message":{"role":"assistant","content":...},"logprobs":null,"finish_reason":...}],
//    "usage":{"prompt_tokens","completion_tokens","total_tokens",
//             "prompt_tokens_details":{"cached_tokens"}}}
// An empty finish_reason writes null.
[[nodiscard]] std::string ChatCompletionBody(const ResponseMeta& meta, std::string_view content,
                                             std::string_view finish_reason, const Usage& usage);

// The unary completion object: as ChatCompletionBody with "object":"text_completion" and
// choices [{"index":0,"text":...,"logprobs":null,"finish_reason":...}].
[[nodiscard]] std::string CompletionBody(const ResponseMeta& meta, std::string_view text,
                                         std::string_view finish_reason, const Usage& usage);

// Appends the `usage` object (no key).
void AppendUsage(std::string& out, const Usage& usage);

// Writes the SSE events of one streamed response, each "data: {json}\n\n". A stream is
//   AppendStart, AppendDelta for each piece of text, AppendFinish, AppendUsage when the request
//   asked for stream_options.include_usage, AppendDone.
// Chat chunks have "object":"chat.completion.chunk" and choices [{"index":0,"delta":{...},
// "logprobs":null,"finish_reason":...}]: the start chunk's delta is {"role":"assistant",
// "content":""}, a delta chunk's {"content":...}, the finish chunk's {} with the reason.
// Completion chunks have "object":"text_completion" and choices [{"index":0,"text":...,
// "logprobs":null,"finish_reason":...}]; they have no start chunk, and the finish chunk's text
// is "". The usage chunk has "choices":[] and the usage; with include_usage every other chunk
// carries "usage":null, as OpenAI's do.
//
// The id, object, created and model are escaped once, at construction; a delta chunk then costs
// two appends and the escaping of its text. Thread safety: const methods, safe to share.
class StreamChunkWriter {
 public:
  StreamChunkWriter(ApiEndpoint endpoint, const ResponseMeta& meta, bool include_usage);

  void AppendStart(std::string& out) const;
  void AppendDelta(std::string& out, std::string_view text) const {
    out += delta_prefix_;
    AppendJsonString(out, text);
    out += delta_suffix_;
  }
  void AppendFinish(std::string& out, std::string_view finish_reason) const;
  void AppendUsage(std::string& out, const Usage& usage) const;
  // "data: [DONE]\n\n"
  static void AppendDone(std::string& out) { out += "data: [DONE]\n\n"; }

 private:
  ApiEndpoint endpoint_;
  std::string head_;  // `data: {"id":...,"object":...,"created":...,"model":...,"choices":[`
  std::string tail_;  // `]}\n\n`, or `],"usage":null}\n\n` with include_usage
  std::string delta_prefix_;  // head_ + the choice up to the text's opening quote
  std::string delta_suffix_;  // the choice after the text + tail_
};

// One entry of GET /v1/models.
struct ModelEntry {
  std::string id;
  int64_t created = 0;  // Unix seconds
  std::string owned_by = "dynobs";
};

// The GET /v1/models body:
//   {"object":"list","data":[{"id":...,"object":"model","created":...,"owned_by":...},...]}
[[nodiscard]] std::string ModelListBody(std::span<const ModelEntry> models);

// The length of the longest prefix of `text` that does not end inside a UTF-8 sequence: a
// stream holds back the rest until the next token completes it, so that every chunk is valid
// UTF-8 (the tokenizer cuts text at byte boundaries). Only the last four bytes are looked at;
// text that is not UTF-8 elsewhere is not this function's business.
[[nodiscard]] size_t Utf8CompleteLength(std::string_view text);

}  // namespace dynobs::llm::frontend
