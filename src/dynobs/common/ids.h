#pragma once

#include <cstdint>
#include <string>

namespace dynobs {

// A discovery instance id: a random non-zero u64 (Dynamo's connection id).
[[nodiscard]] uint64_t NewInstanceId();

// Lowercase hex without 0x and without padding, as Dynamo's `worker_id` auto label ({:x}).
[[nodiscard]] std::string HexId(uint64_t id);

}  // namespace dynobs
