#pragma once

#include <string>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"

namespace dynobs::llm::frontend {

// The frontend's HTTP paths, each overridable by its DYN_HTTP_SVC_*_PATH variable (spec §4.2).
struct RoutePaths {
  std::string metrics = "/metrics";             // DYN_HTTP_SVC_METRICS_PATH
  std::string health = "/health";               // DYN_HTTP_SVC_HEALTH_PATH
  std::string live = "/live";                   // DYN_HTTP_SVC_LIVE_PATH
  std::string models = "/v1/models";            // DYN_HTTP_SVC_MODELS_PATH
  std::string chat = "/v1/chat/completions";    // DYN_HTTP_SVC_CHAT_PATH
  std::string completions = "/v1/completions";  // DYN_HTTP_SVC_CMP_PATH
};

// Reads the overrides. A path must start with '/', be at most 256 bytes and hold no space,
// control character, '?' or '#'; two routes may not share a path. Anything else is an
// InvalidArgument naming the variable (Dynamo takes any string). `ignored` receives the names of
// Dynamo's overrides for endpoints dynobs does not serve (_EMB_PATH, _RESPONSES_PATH,
// _ANTHROPIC_PATH) that are set, so that the caller can warn about them.
[[nodiscard]] StatusOr<RoutePaths> LoadRoutePaths(const env::Reader& env,
                                                  std::vector<std::string>* ignored);

}  // namespace dynobs::llm::frontend
