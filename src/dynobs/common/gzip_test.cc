#include "dynobs/common/gzip.h"

#include <gtest/gtest.h>

namespace dynobs {
namespace {

TEST(GzipTest, RoundTripsAndHasGzipMagic) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "dynamo_component_requests_total{worker_id=\"1\"} 42\n";
  auto z = GzipCompress(text);
  ASSERT_TRUE(z.ok());
  ASSERT_GE(z->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
  EXPECT_LT(z->size(), text.size() / 10);
  auto back = GzipDecompress(*z);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
}

TEST(GzipTest, RejectsGarbage) { EXPECT_FALSE(GzipDecompress("not gzip at all").ok()); }

TEST(GzipTest, EmptyInput) {
  auto z = GzipCompress("");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*GzipDecompress(*z), "");
}

}  // namespace
}  // namespace dynobs
