#include "dynobs/common/ids.h"

#include <random>

#include <fmt/format.h>

namespace dynobs {

uint64_t NewInstanceId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint64_t id = 0;
  while (id == 0) id = gen();
  return id;
}

std::string HexId(uint64_t id) { return fmt::format("{:x}", id); }

}  // namespace dynobs
