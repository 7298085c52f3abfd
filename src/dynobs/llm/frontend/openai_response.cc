#include "dynobs/llm/frontend/openai_response.h"

#include <chrono>
#include <iterator>
#include <random>

#include <fmt/format.h>

namespace dynobs::llm::frontend {
namespace {

int64_t UnixSecondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `{"id":...,"object":...,"created":...,"model":...,`
void AppendIdentity(std::string& out, const ResponseMeta& meta, std::string_view object) {
  out += R"({"id":)";
  AppendJsonString(out, meta.id);
  out += R"(,"object":)";
  AppendJsonString(out, object);
  fmt::format_to(std::back_inserter(out), R"(,"created":{},"model":)", meta.created);
  AppendJsonString(out, meta.model);
  out.push_back(',');
}

void AppendFinishReason(std::string& out, std::string_view finish_reason) {
  out += R"("finish_reason":)";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, finish_reason);
  }
}

// The rest of a unary body after the choice's own fields: logprobs, finish_reason, usage.
void AppendUnaryEnd(std::string& out, std::string_view finish_reason, const Usage& usage) {
  out += R"(,"logprobs":null,)";
  AppendFinishReason(out, finish_reason);
  out += R"(}],"usage":)";
  AppendUsage(out, usage);
  out.push_back('}');
}

}  // namespace

std::string NewResponseId(ApiEndpoint endpoint) {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  uint64_t hi = gen();
  uint64_t lo = gen();
  return fmt::format("{}{:016x}{:016x}",
                     endpoint == ApiEndpoint::kChatCompletions ? "chatcmpl-" : "cmpl-", hi, lo);
}

ResponseMeta NewResponseMeta(ApiEndpoint endpoint, std::string model) {
  return ResponseMeta{
      .id = NewResponseId(endpoint), .model = std::move(model), .created = UnixSecondsNow()};
}

void AppendUsage(std::string& out, const Usage& usage) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
                 R"("prompt_tokens_details":{{"cached_tokens":{}}}}})",
                 usage.prompt_tokens, usage.completion_tokens,
                 uint64_t{usage.prompt_tokens} + usage.completion_tokens, usage.cached_tokens);
}

std::string ChatCompletionBody(const ResponseMeta& meta, std::string_view content,
                               std::string_view finish_reason, const Usage& usage) {
  std::string out;
  out.reserve(320 + meta.id.size() + meta.model.size() + content.size());
  AppendIdentity(out, meta, "chat.completion");
  out += R"("choices":[{"index":0,"message":{"role":"assistant","content":)";
  AppendJsonString(out, content);
  out.push_back('}');
  AppendUnaryEnd(out, finish_reason, usage);
  return out;
}

std::string CompletionBody(const ResponseMeta& meta, std::string_view text,
                           std::string_view finish_reason, const Usage& usage) {
  std::string out;
  out.reserve(288 + meta.id.size() + meta.model.size() + text.size());
  AppendIdentity(out, meta, "text_completion");
  out += R"("choices":[{"index":0,"text":)";
  AppendJsonString(out, text);
  AppendUnaryEnd(out, finish_reason, usage);
  return out;
}

StreamChunkWriter::StreamChunkWriter(ApiEndpoint endpoint, const ResponseMeta& meta,
                                     bool include_usage)
    : endpoint_(endpoint) {
  const bool chat = endpoint == ApiEndpoint::kChatCompletions;
  head_ = "data: ";
  AppendIdentity(head_, meta, chat ? "chat.completion.chunk" : "text_completion");
  head_ += R"("choices":[)";
  tail_ = include_usage ? "],\"usage\":null}\n\n" : "]}\n\n";
  delta_prefix_ = head_ + (chat ? R"({"index":0,"delta":{"content":)" : R"({"index":0,"text":)");
  delta_suffix_ =
      std::string(chat ? "}" : "") + R"(,"logprobs":null,"finish_reason":null})" + tail_;
}

void StreamChunkWriter::AppendStart(std::string& out) const {
  if (endpoint_ != ApiEndpoint::kChatCompletions) return;
  out += head_;
  out += R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
         R"("finish_reason":null})";
  out += tail_;
}

void StreamChunkWriter::AppendFinish(std::string& out, std::string_view finish_reason) const {
  out += head_;
  out += endpoint_ == ApiEndpoint::kChatCompletions ? R"({"index":0,"delta":{},"logprobs":null,)"
                                                    : R"({"index":0,"text":"","logprobs":null,)";
  AppendFinishReason(out, finish_reason);
  out.push_back('}');
  out += tail_;
}

void StreamChunkWriter::AppendUsage(std::string& out, const Usage& usage) const {
  out += head_;
  out += R"(],"usage":)";
  frontend::AppendUsage(out, usage);
  out += "}\n\n";
}

std::string ModelListBody(std::span<const ModelEntry> models) {
  std::string out = R"({"object":"list","data":[)";
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += R"({"id":)";
    AppendJsonString(out, models[i].id);
    fmt::format_to(std::back_inserter(out), R"(,"object":"model","created":{},"owned_by":)",
                   models[i].created);
    AppendJsonString(out, models[i].owned_by);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

size_t Utf8CompleteLength(std::string_view text) {
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  size_t n = text.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation
    size_t need = c < 0x80             ? 1
                  : (c & 0xE0) == 0xC0 ? 2
                  : (c & 0xF0) == 0xE0 ? 3
                  : (c & 0xF8) == 0xF0 ? 4
                                       : 1;
    return need > back ? n - back : n;
  }
  return n;
}

}  // namespace dynobs::llm::frontend
