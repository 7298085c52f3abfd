#include "dynobs/common/env.h"

#include <gtest/gtest.h>

namespace dynobs::env {
namespace {

TEST(EnvTest, TruthyAndFalseyWords) {
  for (const char* v : {"1", "true", "TRUE", "on", "Yes"}) EXPECT_TRUE(IsTruthy(v)) << v;
  for (const char* v : {"0", "false", "Off", "NO"}) EXPECT_TRUE(IsFalsey(v)) << v;
  for (const char* v : {"", "2", "enabled", "y"}) {
    EXPECT_FALSE(IsTruthy(v)) << v;
    EXPECT_FALSE(IsFalsey(v)) << v;
  }
}

TEST(EnvTest, UnsetAndEmptyAreAbsent) {
  Reader r(MapSource({{"EMPTY", ""}}));
  EXPECT_FALSE(r.String("MISSING").has_value());
  EXPECT_FALSE(r.String("EMPTY").has_value());
  auto b = r.Bool("EMPTY");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
}

TEST(EnvTest, BoolRejectsOtherWordsNamingTheVariable) {
  Reader r(MapSource({{"DYN_X", "maybe"}}));
  auto b = r.Bool("DYN_X");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "invalid DYN_X=\"maybe\": expected one of 1, true, on, yes, 0, false, off, no");
}

TEST(EnvTest, IntParsesWithinRange) {
  Reader r(MapSource({{"P", "-1"}, {"Q", "65536"}, {"R", "12abc"}, {"S", " 5"}}));
  auto p = r.Int("P", -1, 65535);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(**p, -1);
  auto q = r.Int("Q", -1, 65535);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "invalid Q=\"65536\": expected an integer in -1..65535");
  EXPECT_FALSE(r.Int("R", 0, 100).ok());
  EXPECT_FALSE(r.Int("S", 0, 100).ok());
}

TEST(EnvTest, DoubleRejectsNonFiniteAndOutOfRange) {
  Reader r(MapSource({{"A", "0.25"}, {"B", "inf"}, {"C", "2"}}));
  EXPECT_DOUBLE_EQ(**r.Double("A", 0, 1), 0.25);
  EXPECT_FALSE(r.Double("B", 0, 1e300).ok());
  EXPECT_FALSE(r.Double("C", 0, 1).ok());
}

}  // namespace
}  // namespace dynobs::env
