#include "dynobs/metrics/names.h"

#include <fmt/format.h>

namespace dynobs::metrics {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool AllUnderscores(std::string_view s) { return s.find_first_not_of('_') == std::string::npos; }

}  // namespace

StatusOr<std::string> SanitizeMetricName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("metric name is empty");
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    out.push_back(IsLetter(c) || IsDigit(c) || c == '_' || c == ':' ? c : '_');
  }
  if (!IsLetter(out[0]) && out[0] != '_') out.insert(out.begin(), '_');
  if (AllUnderscores(out)) {
    return InvalidArgumentError(
        fmt::format("metric name \"{}\" has no valid characters after sanitization", name));
  }
  return out;
}

StatusOr<std::string> SanitizeLabelName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("label name is empty");
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) out.push_back(IsLetter(c) || IsDigit(c) || c == '_' ? c : '_');
  if (!IsLetter(out[0]) && out[0] != '_') out.insert(out.begin(), '_');
  if (AllUnderscores(out)) {
    return InvalidArgumentError(
        fmt::format("label \"{}\" has no valid characters after sanitization", name));
  }
  if (out.starts_with("__")) {
    out.erase(0, 2);
    if (out.empty() || !IsLetter(out[0])) out.insert(out.begin(), '_');
  }
  return out;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  if (!IsLetter(name[0]) && name[0] != '_' && name[0] != ':') return false;
  for (char c : name) {
    if (!IsLetter(c) && !IsDigit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  if (!IsLetter(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!IsLetter(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

bool IsAutoLabel(std::string_view name) {
  return name == "dynamo_namespace" || name == "dynamo_component" || name == "dynamo_endpoint" ||
         name == "worker_id";
}

}  // namespace dynobs::metrics
