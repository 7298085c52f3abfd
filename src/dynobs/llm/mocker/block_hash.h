#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dynobs::llm::mocker {

// Prefix-cache keys: the hash of each full block of `block_size` tokens, chained so that a
// block's hash depends on every token before it (two prompts share the hash of block i only if
// they share their first (i + 1) * block_size tokens). A trailing partial block has no hash.
[[nodiscard]] std::vector<uint64_t> ComputeBlockHashes(std::span<const uint32_t> tokens,
                                                       uint32_t block_size);

// The hash of one block given its parent's hash (0 for the first block).
[[nodiscard]] uint64_t ChainBlockHash(uint64_t parent, std::span<const uint32_t> block_tokens);

}  // namespace dynobs::llm::mocker
