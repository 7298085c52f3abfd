#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs::env {

// Where settings come from. The process environment in production; a map in tests, so that
// configuration parsing is tested without touching the real environment.
using Source = std::function<std::optional<std::string>(std::string_view name)>;

[[nodiscard]] Source ProcessSource();
[[nodiscard]] Source MapSource(std::map<std::string, std::string, std::less<>> values);

// Dynamo's truthy / falsey words: 1 true on yes / 0 false off no, case-insensitive.
[[nodiscard]] bool IsTruthy(std::string_view value);
[[nodiscard]] bool IsFalsey(std::string_view value);

// Typed getters. Each returns nullopt when the variable is unset (or empty: Dynamo ignores empty
// values for its settings), the parsed value when valid, and an InvalidArgument status whose
// message names the variable, the value and what is accepted, when not. That message is the one
// line a process prints before it stops (decided difference 1).
class Reader {
 public:
  explicit Reader(Source source) : source_(std::move(source)) {}

  [[nodiscard]] std::optional<std::string> String(std::string_view name) const;
  [[nodiscard]] StatusOr<std::optional<bool>> Bool(std::string_view name) const;
  [[nodiscard]] StatusOr<std::optional<int64_t>> Int(std::string_view name, int64_t min,
                                                     int64_t max) const;
  [[nodiscard]] StatusOr<std::optional<double>> Double(std::string_view name, double min,
                                                       double max) const;

 private:
  Source source_;
};

// The one-line error for a bad setting: `invalid NAME="value": expected ACCEPTED`.
[[nodiscard]] Status InvalidSetting(std::string_view name, std::string_view value,
                                    std::string_view accepted);

// Prints `dynobs: <message>` on stderr and exits with status 2. For start-up only.
[[noreturn]] void ExitWithConfigError(const Status& status);

}  // namespace dynobs::env
