#include "dynobs/llm/worker/generate_handler.h"

#include <atomic>
#include <memory>

#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"

namespace dynobs::llm {
namespace {

std::atomic<uint64_t> g_next_request_id{1};

EngineOutput ToEngineOutput(const mocker::TokenOutput& out) {
  EngineOutput o;
  o.token_ids = out.tokens;
  o.text = mocker::Tokenizer::Decode(out.tokens);
  o.finish_reason = std::string(mocker::FinishReasonName(out.finish));
  if (out.first) o.cached_tokens = out.cached_tokens;
  return o;
}

}  // namespace

runtime::EndpointHandler MakeGenerateHandler(mocker::MockEngine& engine,
                                             GenerateHandlerOptions options) {
  return [&engine, options](runtime::IncomingRequest request,
                            std::shared_ptr<runtime::ResponseStream> stream) {
    auto parsed = EngineRequest::FromJson(request.body, options.max_prompt_tokens);
    if (!parsed.ok()) {
      stream->Fail(parsed.status());
      return;
    }
    uint64_t id = g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    mocker::GenerationRequest gen{.id = id,
                                  .prompt = std::move(parsed->token_ids),
                                  .max_tokens = parsed->max_tokens,
                                  .stop = std::move(parsed->stop)};
    mocker::MockEngine* e = &engine;
    auto on_output = [stream, e, id](const mocker::TokenOutput& out) {
      if (out.finish == mocker::FinishReason::kCancelled) {
        stream->Fail(CancelledError("generation cancelled"));
        return;
      }
      if (!stream->Send(ToEngineOutput(out).ToJson())) {
        e->Cancel(id);  // the caller is gone or too slow: stop spending the engine on it
        return;
      }
      if (out.finish != mocker::FinishReason::kNone) stream->Finish();
    };
    if (Status s = engine.Submit(std::move(gen), std::move(on_output)); !s.ok()) {
      stream->Fail(s);
      return;
    }
    stream->OnCancel([e, id] { e->Cancel(id); });
  };
}

std::string CanaryPayload() {
  EngineRequest r;
  r.token_ids = {mocker::Tokenizer::kBos};
  r.max_tokens = 1;
  r.temperature = 0;
  r.health_check = true;
  return r.ToJson();
}

}  // namespace dynobs::llm
