#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::otlp {

// The `key1=value1,key2=value2` lists of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS
// (the W3C Baggage member syntax the OpenTelemetry specification uses): members separated by
// commas, spaces and tabs around keys and values ignored, keys and values percent-decoded (`%2C`
// is a comma in a value). Empty members are skipped. A member without `=`, an empty key, a `%`
// not followed by two hex digits, or a decoded value that is not UTF-8 is an error naming
// `variable` (decided difference 1: the process stops instead of dropping the list).
using KeyValueList = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] StatusOr<KeyValueList> ParseKeyValueList(std::string_view variable,
                                                       std::string_view text);

// `%XX` sequences decoded; an InvalidArgument error for a `%` without two hex digits after it.
[[nodiscard]] StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace dynobs::otlp
