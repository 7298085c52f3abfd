#include "dynobs/tracing/ids.h"

#include <pthread.h>

#include <atomic>
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

// Bumped in a forked child, so that each thread's generator reseeds instead of repeating the
// parent's sequence (a child inherits the forking thread's thread_local state).
std::atomic<uint64_t> fork_generation{0};

void OnForkChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, seeded per thread from the OS.
class IdGenerator {
 public:
  IdGenerator() {
    static const int registered = pthread_atfork(nullptr, nullptr, OnForkChild);
    (void)registered;
    Seed();
  }
  // Reseeds when the process forked since the last seeding. A relaxed load on the hot path.
  void CheckFork() {
    if (generation_ != fork_generation.load(std::memory_order_relaxed)) Seed();
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
  void Seed() {
    generation_ = fork_generation.load(std::memory_order_relaxed);
    std::random_device rd;
    uint64_t mix =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        static_cast<uint64_t>(pthread_self());
    for (auto& s : state_) {
      uint64_t hi = rd();
      uint64_t lo = rd();
      s = (hi << 32 | lo) ^ SplitMix(mix);
    }
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
  uint64_t generation_ = 0;
};

IdGenerator& Generator() {
  thread_local IdGenerator generator;
  generator.CheckFork();
  return generator;
}

uint64_t NonZero(IdGenerator& gen) {
  uint64_t v = 0;
  while (v == 0) v = gen.Next();
  return v;
}

bool IsHexRun(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (HexValue(text[i]) < 0) return false;
  }
  return true;
}

// 8-4-4-4-12 hex digits with hyphens: exactly 36 characters.
bool IsHyphenatedUuid(std::string_view t) {
  return t.size() == 36 && IsHexRun(t, 0, 8) && t[8] == '-' && IsHexRun(t, 9, 4) && t[13] == '-' &&
         IsHexRun(t, 14, 4) && t[18] == '-' && IsHexRun(t, 19, 4) && t[23] == '-' &&
         IsHexRun(t, 24, 12);
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
  IdGenerator& gen = Generator();
  uint64_t hi = NonZero(gen);
  uint64_t lo = gen.Next();
  std::memcpy(id.bytes.data(), &hi, 8);
  std::memcpy(id.bytes.data() + 8, &lo, 8);
  return id;
}

SpanId NewSpanId() {
  SpanId id;
  uint64_t v = NonZero(Generator());
  std::memcpy(id.bytes.data(), &v, 8);
  return id;
}

std::string NewUuidV4() {
  IdGenerator& gen = Generator();
  std::array<uint8_t, 16> b{};
  uint64_t hi = gen.Next();
  uint64_t lo = gen.Next();
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10xx (RFC 9562)
  std::string hex = ToHexBytes(b);
  std::string out;
  out.reserve(36);
  out.append(hex, 0, 8).append(1, '-').append(hex, 8, 4).append(1, '-');
  out.append(hex, 12, 4).append(1, '-').append(hex, 16, 4).append(1, '-').append(hex, 20, 12);
  return out;
}

bool IsUuid(std::string_view t) {
  if (t.size() == 32) return IsHexRun(t, 0, 32);
  if (t.size() == 38 && t.front() == '{' && t.back() == '}') {
    return IsHyphenatedUuid(t.substr(1, 36));
  }
  constexpr std::string_view kUrn = "urn:uuid:";
  if (t.size() == kUrn.size() + 36 && t.substr(0, kUrn.size()) == kUrn) {
    return IsHyphenatedUuid(t.substr(kUrn.size()));
  }
  return IsHyphenatedUuid(t);
}

}  // namespace dynobs::tracing
