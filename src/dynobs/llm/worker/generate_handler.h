#pragma once

#include <cstddef>
#include <string>

#include "dynobs/llm/mocker/mock_engine.h"
#include "dynobs/runtime/request_plane/stream.h"

namespace dynobs::llm {

struct GenerateHandlerOptions {
  size_t max_prompt_tokens = 131072;  // longer requests are refused before they reach the engine
};

// The worker's `generate` endpoint: reads an EngineRequest (engine_protocol.h), runs it on the
// mock engine and streams one EngineOutput per iteration (the first with cached_tokens, the
// last with finish_reason). The caller going away cancels the generation in the engine; a
// request the engine refuses fails the stream with the engine's message.
//
// The engine must outlive every stream the handler starts.
[[nodiscard]] runtime::EndpointHandler MakeGenerateHandler(mocker::MockEngine& engine,
                                                           GenerateHandlerOptions options = {});

// The payload a canary health check sends to `generate` (spec §6.5, token-input form): one
// prompt token, one output token, marked `_health_check`.
[[nodiscard]] std::string CanaryPayload();

}  // namespace dynobs::llm
