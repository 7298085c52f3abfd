#pragma once

#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs::metrics {

// Name rules of Prometheus and of Dynamo's prometheus_names.rs (spec §2.4).

// Dynamo's metric-name sanitizer: every char outside [a-zA-Z0-9_:] becomes '_'; a first char
// outside [a-zA-Z_] gets a '_' prepended. Fails on empty input or an all-underscore result.
// "test.name" -> "test_name", "123test" -> "_123test", "@#$%" -> error.
[[nodiscard]] StatusOr<std::string> SanitizeMetricName(std::string_view name);

// Dynamo's label sanitizer (also used for auto-label values): chars outside [a-zA-Z0-9_] become
// '_'; '_' prepended if the first char is not in [a-zA-Z_]; a leading "__" is stripped, and '_'
// prepended again if the rest is empty or does not start with a letter. Fails on all-underscore.
// "test:label" -> "test_label", "__test" -> "test", ":test" -> "_test", "____" -> error.
[[nodiscard]] StatusOr<std::string> SanitizeLabelName(std::string_view name);

// Strict checks for names given to the registry as they are.
[[nodiscard]] bool IsValidMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
[[nodiscard]] bool IsValidLabelName(std::string_view name);

// The labels Dynamo injects itself; users may not set them.
[[nodiscard]] bool IsAutoLabel(std::string_view name);

}  // namespace dynobs::metrics
