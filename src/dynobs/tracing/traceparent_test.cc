// traceparent parse and emit, case by case from the W3C Trace Context recommendation (Level 1
// §3.2, "Versioning of traceparent") and its Level 2 random flag.
#include "dynobs/tracing/traceparent.h"

#include <string>

#include <gtest/gtest.h>

namespace dynobs::tracing {
namespace {

constexpr std::string_view kTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kParent = "b7ad6b7169203331";

std::string Header(std::string_view version, std::string_view trace, std::string_view parent,
                   std::string_view flags) {
  return std::string(version) + "-" + std::string(trace) + "-" + std::string(parent) + "-" +
         std::string(flags);
}

TEST(TraceparentTest, ParsesTheRecommendationsExample) {
  auto tp = ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->version, 0);
  EXPECT_EQ(tp->trace_id.ToHex(), kTrace);
  EXPECT_EQ(tp->parent_id.ToHex(), kParent);
  EXPECT_EQ(tp->flags, 0x01);
}

TEST(TraceparentTest, KeepsEveryFlagBitAsReceived) {
  for (std::string_view flags : {"00", "01", "02", "03", "09", "ff"}) {
    auto tp = ParseTraceparent(Header("00", kTrace, kParent, flags));
    ASSERT_TRUE(tp.has_value()) << flags;
    EXPECT_EQ(tp->flags, std::stoi(std::string(flags), nullptr, 16)) << flags;
  }
}

TEST(TraceparentTest, IgnoresSurroundingOptionalWhitespace) {
  std::string valid = Header("00", kTrace, kParent, "01");
  for (const std::string& v :
       {" " + valid, "\t" + valid, valid + " ", valid + "\t", "\t " + valid + " \t"}) {
    EXPECT_TRUE(ParseTraceparent(v).has_value()) << '"' << v << '"';
  }
}

TEST(TraceparentTest, RejectsMalformedVersions) {
  for (std::string_view version : {".0", "0.", "0", "000", "0000", "0A", "Cc", "ff", "g0"}) {
    EXPECT_FALSE(ParseTraceparent(Header(version, kTrace, kParent, "01"))) << version;
  }
}

TEST(TraceparentTest, VersionZeroMustBeExactly55Characters) {
  std::string valid = Header("00", kTrace, kParent, "01");
  ASSERT_EQ(valid.size(), kTraceparentSize);
  EXPECT_FALSE(ParseTraceparent(valid + "."));
  EXPECT_FALSE(ParseTraceparent(valid + "-"));
  EXPECT_FALSE(ParseTraceparent(valid + "-what-the-future-will-be-like"));
  EXPECT_FALSE(ParseTraceparent(valid.substr(0, 54)));
}

TEST(TraceparentTest, HigherVersionsParseTheirFirstFourFields) {
  auto tp = ParseTraceparent(Header("cc", kTrace, kParent, "01"));
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->version, 0xcc);
  EXPECT_EQ(tp->trace_id.ToHex(), kTrace);

  tp = ParseTraceparent(Header("cc", kTrace, kParent, "01") + "-what-the-future-will-be-like");
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->parent_id.ToHex(), kParent);
  EXPECT_EQ(tp->flags, 0x01);

  EXPECT_TRUE(ParseTraceparent(Header("01", kTrace, kParent, "00") + "-"));
  EXPECT_TRUE(ParseTraceparent(Header("fe", kTrace, kParent, "00")));
}

TEST(TraceparentTest, HigherVersionsNeedADashOrTheEndAfterTheFlags) {
  EXPECT_FALSE(ParseTraceparent(Header("cc", kTrace, kParent, "01") + ".what-the-future"));
  EXPECT_FALSE(ParseTraceparent(Header("cc", kTrace, kParent, "010")));
  EXPECT_FALSE(ParseTraceparent(Header("cc", kTrace, kParent, "0")));  // shorter than 55
}

TEST(TraceparentTest, HigherVersionsStillValidateTheirFields) {
  EXPECT_FALSE(ParseTraceparent(Header("cc", std::string(32, '0'), kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("cc", kTrace, "0000000000000000", "01")));
  EXPECT_FALSE(ParseTraceparent(Header("cc", kTrace, kParent, "0x")));
  EXPECT_FALSE(ParseTraceparent(Header("cc", "0AF7651916CD43DD8448EB211C80319C", kParent, "01")));
}

TEST(TraceparentTest, RejectsAllZeroIds) {
  EXPECT_FALSE(ParseTraceparent(Header("00", std::string(32, '0'), kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, std::string(16, '0'), "01")));
}

TEST(TraceparentTest, RejectsIllegalCharactersInEveryField) {
  EXPECT_FALSE(ParseTraceparent(Header("00", ".af7651916cd43dd8448eb211c80319c", kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", "0af7651916cd43dd8448eb211c80319.", kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, ".7ad6b7169203331", "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, "b7ad6b716920333.", "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, ".0")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, "0.")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, "0g")));
}

TEST(TraceparentTest, RejectsUppercaseHex) {
  EXPECT_FALSE(ParseTraceparent(Header("00", "0AF7651916CD43DD8448EB211C80319C", kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, "B7AD6B7169203331", "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, "0A")));
}

TEST(TraceparentTest, RejectsWrongFieldLengths) {
  EXPECT_FALSE(ParseTraceparent(Header("00", std::string(kTrace) + "3", kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace.substr(1), kParent, "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, std::string(kParent) + "7", "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent.substr(1), "01")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, "001")));
  EXPECT_FALSE(ParseTraceparent(Header("00", kTrace, kParent, "1")));
}

TEST(TraceparentTest, RejectsOtherDelimitersAndEmptyValues) {
  EXPECT_FALSE(ParseTraceparent(""));
  EXPECT_FALSE(ParseTraceparent("   "));
  EXPECT_FALSE(ParseTraceparent("00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01"));
  EXPECT_FALSE(ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331 01"));
  // Inner whitespace is not optional whitespace.
  EXPECT_FALSE(ParseTraceparent("00 -0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

TEST(TraceparentTest, FormatsVersionZeroInLowercase) {
  auto trace = TraceId::FromHex("0AF7651916CD43DD8448EB211C80319C");
  auto span = SpanId::FromHex("B7AD6B7169203331");
  ASSERT_TRUE(trace && span);
  EXPECT_EQ(FormatTraceparent(*trace, *span, 0x01),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(FormatTraceparent(*trace, *span, 0x03),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  EXPECT_EQ(FormatTraceparent(*trace, *span, 0x00).size(), kTraceparentSize);
}

TEST(TraceparentTest, RoundTripsGeneratedIds) {
  for (int i = 0; i < 100; ++i) {
    TraceId trace = NewTraceId();
    SpanId span = NewSpanId();
    auto tp = ParseTraceparent(FormatTraceparent(trace, span, 0x02));
    ASSERT_TRUE(tp.has_value());
    EXPECT_EQ(tp->trace_id, trace);
    EXPECT_EQ(tp->parent_id, span);
    EXPECT_EQ(tp->flags, 0x02);
  }
}

}  // namespace
}  // namespace dynobs::tracing
