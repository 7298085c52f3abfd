// The OpenAI protocol layer's per-request and per-token costs:
//   BM_ChatDeltaChunk          one streamed token's SSE event through StreamChunkWriter
//   BM_ChatDeltaChunkBoostJson the same event built as a boost::json::object and serialized
//                              (the baseline the direct writer is measured against)
//   BM_ParseChatRequest        parse and validate a small chat body (4 messages)
#include <string>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include "dynobs/llm/frontend/openai_request.h"
#include "dynobs/llm/frontend/openai_response.h"

namespace dynobs::llm::frontend {
namespace {

const ResponseMeta kMeta{.id = "chatcmpl-0123456789abcdef0123456789abcdef",
                         .model = "Qwen/Qwen3-0.6B",
                         .created = 1700000000};

void BM_ChatDeltaChunk(benchmark::State& state) {
  StreamChunkWriter writer(ApiEndpoint::kChatCompletions, kMeta, false);
  std::string out;
  for (auto _ : state) {
    out.clear();
    writer.AppendDelta(out, " the");
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ChatDeltaChunk);

void BM_ChatDeltaChunkBoostJson(benchmark::State& state) {
  namespace json = boost::json;
  std::string out;
  for (auto _ : state) {
    json::object chunk;
    chunk["id"] = kMeta.id;
    chunk["object"] = "chat.completion.chunk";
    chunk["created"] = kMeta.created;
    chunk["model"] = kMeta.model;
    chunk["choices"] = json::array{json::object{{"index", 0},
                                                {"delta", {{"content", " the"}}},
                                                {"logprobs", nullptr},
                                                {"finish_reason", nullptr}}};
    out.clear();
    out += "data: ";
    out += json::serialize(chunk);
    out += "\n\n";
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ChatDeltaChunkBoostJson);

void BM_ParseChatRequest(benchmark::State& state) {
  const std::string body =
      R"({"model":"Qwen/Qwen3-0.6B","messages":[{"role":"system","content":"You are helpful."},)"
      R"({"role":"user","content":"What is the capital of France?"},)"
      R"({"role":"assistant","content":"Paris."},{"role":"user","content":"And of Spain?"}],)"
      R"("max_tokens":32,"stream":true,"stream_options":{"include_usage":true},)"
      R"("temperature":0.7})";
  const RequestLimits limits;
  for (auto _ : state) {
    auto r = ParseChatCompletionRequest(body, limits);
    benchmark::DoNotOptimize(r.ok());
  }
}
BENCHMARK(BM_ParseChatRequest);

}  // namespace
}  // namespace dynobs::llm::frontend

BENCHMARK_MAIN();
