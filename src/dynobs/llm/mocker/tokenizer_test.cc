#include "dynobs/llm/mocker/tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "dynobs/llm/mocker/block_hash.h"

namespace dynobs::llm::mocker {
namespace {

TEST(TokenizerTest, CutsAtSpaceBoundariesIntoPiecesOfAtMostThreeBytes) {
  auto ids = Tokenizer::Encode(" the quick  x");
  ASSERT_EQ(ids.size(), 5u);
  std::vector<std::string> pieces;
  for (uint32_t id : ids) {
    std::string p;
    Tokenizer::AppendPiece(id, p);
    pieces.push_back(p);
  }
  EXPECT_EQ(pieces, (std::vector<std::string>{" the", " qui", "ck", "  ", "x"}));
  EXPECT_EQ(ids[0], 0x04000000u | 0x03000000u | ('t' << 16) | ('h' << 8) | 'e');
}

TEST(TokenizerTest, RoundTripsAnyBytes) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string text(gen() % 200, '\0');
    for (char& c : text) c = static_cast<char>(gen() % 256);
    EXPECT_EQ(Tokenizer::Decode(Tokenizer::Encode(text)), text);
  }
  std::string utf8 = "héllo wörld, 日本語  \n\ttabs";
  EXPECT_EQ(Tokenizer::Decode(Tokenizer::Encode(utf8)), utf8);
  EXPECT_EQ(Tokenizer::Decode({Tokenizer::kBos, Tokenizer::kEos}), "");
}

TEST(TokenizerTest, EnglishTextIsAboutThreeCharactersAToken) {
  std::string text =
      "Operators who run LLM inference fleets need to see what their fleet does: time to first "
      "token and inter-token latency per model, queues, KV cache hits and worker health.";
  double ratio = static_cast<double>(text.size()) / Tokenizer::CountTokens(text);
  EXPECT_GT(ratio, 2.5);
  EXPECT_LT(ratio, 4.5);
}

TEST(TextGeneratorTest, DeterministicPerSeedAndDecodable) {
  TextGenerator a(42), b(42), c(43);
  std::vector<uint32_t> ta, tb, tc;
  for (int i = 0; i < 50; ++i) {
    ta.push_back(a.NextToken());
    tb.push_back(b.NextToken());
    tc.push_back(c.NextToken());
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
  std::string text = Tokenizer::Decode(ta);
  EXPECT_EQ(text.front(), ' ');
  EXPECT_EQ(Tokenizer::Encode(text), ta);  // the output re-tokenizes to the same ids
}

TEST(BlockHashTest, ChainedOverFullBlocksOnly) {
  std::vector<uint32_t> a(40), b(40);
  for (uint32_t i = 0; i < 40; ++i) a[i] = b[i] = i;
  b[20] = 999;  // differs in the second block
  auto ha = ComputeBlockHashes(a, 16);
  auto hb = ComputeBlockHashes(b, 16);
  ASSERT_EQ(ha.size(), 2u);  // 40 tokens: two full blocks, a partial one without hash
  EXPECT_EQ(ha[0], hb[0]);
  EXPECT_NE(ha[1], hb[1]);
  std::vector<uint32_t> shifted(a.begin() + 16, a.end());
  EXPECT_NE(ComputeBlockHashes(shifted, 16)[0], ha[1]);  // same tokens, other prefix
}

}  // namespace
}  // namespace dynobs::llm::mocker
