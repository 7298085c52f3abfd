#include "dynobs/llm/mocker/block_hash.h"

namespace dynobs::llm::mocker {
namespace {

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a ^ 0xa0761d6478bd642fULL) * (b ^ 0xe7037ed1a0b428dbULL);
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t ChainBlockHash(uint64_t parent, std::span<const uint32_t> block_tokens) {
  uint64_t h = Mix(parent, 0x8ebc6af09c88c6e3ULL ^ block_tokens.size());
  size_t i = 0;
  for (; i + 1 < block_tokens.size(); i += 2) {
    h = Mix(h, static_cast<uint64_t>(block_tokens[i]) << 32 | block_tokens[i + 1]);
  }
  if (i < block_tokens.size()) h = Mix(h, block_tokens[i]);
  return h == 0 ? 1 : h;  // 0 means "no parent"
}

std::vector<uint64_t> ComputeBlockHashes(std::span<const uint32_t> tokens, uint32_t block_size) {
  std::vector<uint64_t> hashes;
  if (block_size == 0) return hashes;
  hashes.reserve(tokens.size() / block_size);
  uint64_t parent = 0;
  for (size_t start = 0; start + block_size <= tokens.size(); start += block_size) {
    parent = ChainBlockHash(parent, tokens.subspan(start, block_size));
    hashes.push_back(parent);
  }
  return hashes;
}

}  // namespace dynobs::llm::mocker
