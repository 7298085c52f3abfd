#pragma once

#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "dynobs/app/telemetry.h"
#include "dynobs/common/status.h"

namespace dynobs::app {

// Start-up helpers: the value, or the one-line error `dynobs: <what>: <message>` and exit 2
// (decided difference 1). For start-up only.
template <typename T>
T OrExit(StatusOr<T> value, std::string_view what) {
  if (!value.ok()) {
    ExitWithConfigError(
        Status(value.status().code(), fmt::format("{}: {}", what, value.status().message())));
  }
  return std::move(*value);
}

inline void OrExit(const Status& s, std::string_view what) {
  if (!s.ok()) ExitWithConfigError(Status(s.code(), fmt::format("{}: {}", what, s.message())));
}

}  // namespace dynobs::app
