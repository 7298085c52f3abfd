#include "dynobs/llm/frontend/route_paths.h"

#include <fmt/format.h>

namespace dynobs::llm::frontend {
namespace {

constexpr size_t kMaxPathBytes = 256;

bool IsValidPath(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > kMaxPathBytes) return false;
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#') return false;
  }
  return true;
}

}  // namespace

StatusOr<RoutePaths> LoadRoutePaths(const env::Reader& env, std::vector<std::string>* ignored) {
  RoutePaths paths;
  struct Item {
    const char* name;
    std::string* path;
  };
  const Item items[] = {
      {"DYN_HTTP_SVC_METRICS_PATH", &paths.metrics}, {"DYN_HTTP_SVC_HEALTH_PATH", &paths.health},
      {"DYN_HTTP_SVC_LIVE_PATH", &paths.live},       {"DYN_HTTP_SVC_MODELS_PATH", &paths.models},
      {"DYN_HTTP_SVC_CHAT_PATH", &paths.chat},       {"DYN_HTTP_SVC_CMP_PATH", &paths.completions}};
  for (const Item& item : items) {
    std::optional<std::string> value = env.String(item.name);
    if (!value) continue;
    if (!IsValidPath(*value)) {
      return env::InvalidSetting(item.name, *value,
                                 "a path starting with '/', at most 256 bytes, without spaces, "
                                 "control characters, '?' or '#'");
    }
    *item.path = std::move(*value);
  }
  for (size_t i = 0; i < std::size(items); ++i) {
    for (size_t j = i + 1; j < std::size(items); ++j) {
      if (*items[i].path == *items[j].path) {
        return InvalidArgumentError(
            fmt::format("{} and {} are both \"{}\": each route needs its "
                        "own path",
                        items[i].name, items[j].name, *items[i].path));
      }
    }
  }
  if (ignored != nullptr) {
    for (const char* name :
         {"DYN_HTTP_SVC_EMB_PATH", "DYN_HTTP_SVC_RESPONSES_PATH", "DYN_HTTP_SVC_ANTHROPIC_PATH"}) {
      if (env.String(name)) ignored->emplace_back(name);
    }
  }
  return paths;
}

}  // namespace dynobs::llm::frontend
