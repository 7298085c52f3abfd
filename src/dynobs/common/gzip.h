#pragma once

#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs {

// gzip (RFC 1952) of `data` with zlib. Level 1 by default: a /metrics body is large and scraped
// often, and level 1 gets most of the size win for a fraction of the CPU.
[[nodiscard]] StatusOr<std::string> GzipCompress(std::string_view data, int level = 1);
[[nodiscard]] StatusOr<std::string> GzipDecompress(std::string_view data);

}  // namespace dynobs
