#include "dynobs/llm/mocker/tokenizer.h"

#include <algorithm>
#include <array>

namespace dynobs::llm::mocker {
namespace {

constexpr uint32_t kPieceBase = 0x01000000;     // bits 24-25: length 1..3
constexpr uint32_t kLeadingSpace = 0x04000000;  // bit 26: a space before the bytes

bool IsSpace(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

uint32_t PieceId(std::string_view bytes, bool leading_space) {
  uint32_t id =
      kPieceBase * static_cast<uint32_t>(bytes.size()) + (leading_space ? kLeadingSpace : 0);
  for (size_t i = 0; i < bytes.size(); ++i) {
    id |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * (2 - i));
  }
  return id;
}

// Up to three bytes from `i` that are all spaces or all non-spaces.
size_t RunLength(std::string_view text, size_t i) {
  bool space = IsSpace(static_cast<unsigned char>(text[i]));
  size_t n = 1;
  while (n < 3 && i + n < text.size() &&
         IsSpace(static_cast<unsigned char>(text[i + n])) == space) {
    ++n;
  }
  return n;
}

constexpr std::array<std::string_view, 48> kWords = {
    "the",     "model",   "serves", "tokens", "quickly", "and",     "a",       "cache",
    "of",      "blocks",  "keeps",  "prefix", "hits",    "warm",    "while",   "every",
    "request", "streams", "its",    "answer", "to",      "client",  "through", "frontend",
    "router",  "picks",   "worker", "with",   "most",    "overlap", "latency", "stays",
    "low",     "under",   "load",   "is",     "steady",  "in",      "batch",   "decode",
    "step",    "each",    "GPU",    "runs",   "fast",    "when",    "memory",  "allows"};

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<uint32_t> Tokenizer::Encode(std::string_view text) {
  std::vector<uint32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  size_t i = 0;
  while (i < text.size()) {
    // A single space before a word rides on the word's first piece, as in " the".
    bool leading_space =
        text[i] == ' ' && i + 1 < text.size() && !IsSpace(static_cast<unsigned char>(text[i + 1]));
    if (leading_space) ++i;
    size_t n = RunLength(text, i);
    ids.push_back(PieceId(text.substr(i, n), leading_space));
    i += n;
  }
  return ids;
}

void Tokenizer::AppendPiece(uint32_t id, std::string& out) {
  uint32_t len = (id >> 24) & 0x3;
  if (id >= 2 * kLeadingSpace || len == 0) return;  // special or invalid
  if (id & kLeadingSpace) out.push_back(' ');
  for (uint32_t i = 0; i < len; ++i) out.push_back(static_cast<char>((id >> (8 * (2 - i))) & 0xff));
}

std::string Tokenizer::Decode(const std::vector<uint32_t>& ids) {
  std::string out;
  out.reserve(ids.size() * 3);
  for (uint32_t id : ids) AppendPiece(id, out);
  return out;
}

size_t Tokenizer::CountTokens(std::string_view text) { return Encode(text).size(); }

TextGenerator::TextGenerator(uint64_t seed) : state_(seed) {}

void TextGenerator::Refill() {
  std::string_view word = kWords[SplitMix(state_) % kWords.size()];
  std::string text = " ";
  text += word;
  pending_ = Tokenizer::Encode(text);
  std::reverse(pending_.begin(), pending_.end());
}

uint32_t TextGenerator::NextToken() {
  if (pending_.empty()) Refill();
  uint32_t id = pending_.back();
  pending_.pop_back();
  return id;
}

}  // namespace dynobs::llm::mocker
