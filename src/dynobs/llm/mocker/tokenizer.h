#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::llm::mocker {

// The mock engine's tokenizer: simple, exact and documented, so that token counts behave like a
// real tokenizer's (about three to four characters a token in English text) and any text
// round-trips.
//
// Text is cut into pieces of at most three bytes that are all whitespace or all not; a single
// space before a non-space byte rides along with the piece after it (" the quick" -> " the",
// " qui", "ck"). A piece's id packs it: bits 24-25 the byte count (1..3), bit 26 set when a space
// comes first, bits 0-23 the bytes big-endian. So Decode(Encode(text)) == text for every byte
// string (UTF-8 or not; a multi-byte character may be split across pieces, as byte-level BPE
// does). Special ids below 0x01000000: kBos = 1, kEos = 2; they decode to nothing.
//
// Thread safety: stateless; all functions may be called concurrently.
class Tokenizer {
 public:
  static constexpr uint32_t kBos = 1;
  static constexpr uint32_t kEos = 2;

  [[nodiscard]] static std::vector<uint32_t> Encode(std::string_view text);
  [[nodiscard]] static std::string Decode(const std::vector<uint32_t>& ids);
  // Appends the text of one id (empty for special or invalid ids).
  static void AppendPiece(uint32_t id, std::string& out);
  [[nodiscard]] static size_t CountTokens(std::string_view text);
};

// Deterministic generated text for the mock engine's outputs: words from a fixed list chosen by
// a seeded generator, as token ids one at a time.
class TextGenerator {
 public:
  explicit TextGenerator(uint64_t seed);
  // The next output token id (never a special id).
  [[nodiscard]] uint32_t NextToken();

 private:
  void Refill();
  uint64_t state_;
  std::vector<uint32_t> pending_;  // tokens of the current word, reversed
};

}  // namespace dynobs::llm::mocker
