#include "dynobs/tracing/ids.h"

#include <pthread.h>

#include <chrono>
#include <cstring>
#include <random>

namespace dynobs::tracing {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <size_t N>
std::string ToHexBytes(const std::array<uint8_t, N>& bytes) {
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

template <size_t N>
bool FromHexBytes(std::string_view hex, std::array<uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, seeded per thread from the OS.
class IdGenerator {
 public:
  IdGenerator() {
    std::random_device rd;
    uint64_t mix = static_cast<uint64_t>(
                       std::chrono::steady_clock::now().time_since_epoch().count()) ^
                   static_cast<uint64_t>(pthread_self());
    for (auto& s : state_) {
      s = (static_cast<uint64_t>(rd()) << 32 | rd()) ^ SplitMix(mix);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

IdGenerator& Generator() {
  thread_local IdGenerator generator;
  return generator;
}

uint64_t NonZero() {
  uint64_t v = 0;
  while (v == 0) v = Generator().Next();
  return v;
}

}  // namespace

bool TraceId::IsValid() const { return !AllZero(bytes); }
std::string TraceId::ToHex() const { return ToHexBytes(bytes); }
std::optional<TraceId> TraceId::FromHex(std::string_view hex) {
  TraceId id;
  if (!FromHexBytes(hex, id.bytes)) return std::nullopt;
  return id;
}

bool SpanId::IsValid() const { return !AllZero(bytes); }
std::string SpanId::ToHex() const { return ToHexBytes(bytes); }
std::optional<SpanId> SpanId::FromHex(std::string_view hex) {
  SpanId id;
  if (!FromHexBytes(hex, id.bytes)) return std::nullopt;
  return id;
}

TraceId NewTraceId() {
  TraceId id;
  uint64_t hi = NonZero();
  uint64_t lo = Generator().Next();
  std::memcpy(id.bytes.data(), &hi, 8);
  std::memcpy(id.bytes.data() + 8, &lo, 8);
  return id;
}

SpanId NewSpanId() {
  SpanId id;
  uint64_t v = NonZero();
  std::memcpy(id.bytes.data(), &v, 8);
  return id;
}

}  // namespace dynobs::tracing
