#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace dynobs::otlp::internal {

// True when an id's bytes are all zero (an absent parent, an unset id). The OTLP library reads
// ids as bytes only, so that it links nothing of the tracing core.
template <size_t N>
[[nodiscard]] constexpr bool IsZeroId(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace dynobs::otlp::internal
