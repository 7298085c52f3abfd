#include "dynobs/common/env.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace dynobs::env {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

Source ProcessSource() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Source MapSource(std::map<std::string, std::string, std::less<>> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

bool IsTruthy(std::string_view v) {
  return EqualsIgnoreCase(v, "1") || EqualsIgnoreCase(v, "true") || EqualsIgnoreCase(v, "on") ||
         EqualsIgnoreCase(v, "yes");
}

bool IsFalsey(std::string_view v) {
  return EqualsIgnoreCase(v, "0") || EqualsIgnoreCase(v, "false") || EqualsIgnoreCase(v, "off") ||
         EqualsIgnoreCase(v, "no");
}

Status InvalidSetting(std::string_view name, std::string_view value, std::string_view accepted) {
  return InvalidArgumentError(fmt::format("invalid {}=\"{}\": expected {}", name, value, accepted));
}

void ExitWithConfigError(const Status& status) {
  std::fprintf(stderr, "dynobs: %s\n", status.message().c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

std::optional<std::string> Reader::String(std::string_view name) const {
  auto v = source_(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

StatusOr<std::optional<bool>> Reader::Bool(std::string_view name) const {
  auto v = String(name);
  if (!v) return std::optional<bool>();
  if (IsTruthy(*v)) return std::optional<bool>(true);
  if (IsFalsey(*v)) return std::optional<bool>(false);
  return InvalidSetting(name, *v, "one of 1, true, on, yes, 0, false, off, no");
}

StatusOr<std::optional<int64_t>> Reader::Int(std::string_view name, int64_t min,
                                             int64_t max) const {
  auto v = String(name);
  if (!v) return std::optional<int64_t>();
  int64_t out = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, out);
  if (ec != std::errc() || ptr != end || out < min || out > max) {
    return InvalidSetting(name, *v, fmt::format("an integer in {}..{}", min, max));
  }
  return std::optional<int64_t>(out);
}

StatusOr<std::optional<double>> Reader::Double(std::string_view name, double min,
                                               double max) const {
  auto v = String(name);
  if (!v) return std::optional<double>();
  double out = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, out);
  if (ec != std::errc() || ptr != end || !std::isfinite(out) || out < min || out > max) {
    return InvalidSetting(name, *v, fmt::format("a number in {}..{}", min, max));
  }
  return std::optional<double>(out);
}

}  // namespace dynobs::env
