#include "dynobs/logging/internal/json.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace dynobs::logging::internal {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Double(double v) {
  std::string out;
  AppendJsonDouble(out, v);
  return out;
}

std::string Compact(std::string_view s) {
  std::string out;
  AppendCompactJson(out, s);
  return out;
}

TEST(JsonTest, AcceptsEveryKindOfValue) {
  for (std::string_view text :
       {"42", "-0", "0.5", "1e10", "-1.25E-3", "true", "false", "null", "\"\"", "\"a b\"", "[]",
        "{}", "[1,2,[3,{}]]", "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
        " \t\r\n{ \"a\" : [ 1 , 2 ] }\n ", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"",
        "\"\\ud83d\\ude00\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""}) {
    EXPECT_TRUE(IsValidJson(text)) << text;
  }
}

TEST(JsonTest, RejectsWhatIsNotOneJsonValue) {
  for (std::string_view text : {"",
                                " ",
                                "hello",
                                "8372eac7-5f43-4d76-beca-0a94cfb311d0",
                                "/v1/chat/completions",
                                "POST",
                                "01",
                                "1.",
                                ".5",
                                "-",
                                "1e",
                                "+1",
                                "0x10",
                                "NaN",
                                "Infinity",
                                "tru",
                                "nul",
                                "True",
                                "\"unterminated",
                                "\"a\nb\"",
                                "\"\\x\"",
                                "\"\\u12\"",
                                "\"\\udc00\"",
                                "\"\\ud800\"",
                                "\"\\ud800\\u0041\"",
                                "[1,]",
                                "[1 2]",
                                "{\"a\"}",
                                "{\"a\":}",
                                "{a:1}",
                                "{\"a\":1,}",
                                "{,}",
                                "[",
                                "]",
                                "{\"a\":1}}",
                                "1 2",
                                "[]x",
                                "\"\xff\"",
                                "\"\xc0\xaf\"",
                                "\"\xed\xa0\x80\"",
                                "\"\xf4\x90\x80\x80\"",
                                "\"\xe2\x82\""}) {
    EXPECT_FALSE(IsValidJson(text)) << text;
  }
}

TEST(JsonTest, LimitsNestingTo128) {
  std::string ok = std::string(128, '[') + std::string(128, ']');
  std::string deep = std::string(129, '[') + std::string(129, ']');
  EXPECT_TRUE(IsValidJson(ok));
  EXPECT_FALSE(IsValidJson(deep));
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += "{\"k\":[";
  objects += "1";
  for (int i = 0; i < 100; ++i) objects += "]}";
  EXPECT_FALSE(IsValidJson(objects));  // 200 levels
}

TEST(JsonTest, CompactRemovesWhitespaceOutsideStrings) {
  EXPECT_EQ(Compact(" {\n  \"a b\": [ 1, \"x \\\" y\" ],\n  \"c\": true\n}\n"),
            "{\"a b\":[1,\"x \\\" y\"],\"c\":true}");
  EXPECT_EQ(Compact("42"), "42");
}

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(Quoted(std::string("\x01\x1f\x00", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(Quoted("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
}

TEST(JsonTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(Quoted("a\xff"
                   "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(Quoted("\xc0\xaf"), "\"" + fffd + fffd + "\"");  // overlong: two maximal subparts
  EXPECT_EQ(Quoted("\xe2\x82"), "\"" + fffd + "\"");         // truncated sequence: one
  EXPECT_EQ(Quoted("\xe2\x82x"), "\"" + fffd + "x\"");
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
  EXPECT_TRUE(IsValidJson(Quoted("\xff\xfe\x80 \xc3")));
}

TEST(JsonTest, WritesDoublesAsSerdeJsonDoes) {
  EXPECT_EQ(Double(0), "0.0");
  EXPECT_EQ(Double(-0.0), "-0.0");
  EXPECT_EQ(Double(1), "1.0");
  EXPECT_EQ(Double(1.5), "1.5");
  EXPECT_EQ(Double(-12.25), "-12.25");
  EXPECT_EQ(Double(0.1), "0.1");
  EXPECT_EQ(Double(123456789.0), "123456789.0");
  EXPECT_EQ(Double(1e15), "1000000000000000.0");
  EXPECT_EQ(Double(1e16), "1e16");
  EXPECT_EQ(Double(1.5e-7), "1.5e-7");
  EXPECT_EQ(Double(1e-5), "0.00001");
  EXPECT_EQ(Double(-2.5e300), "-2.5e300");
  EXPECT_EQ(Double(std::numeric_limits<double>::quiet_NaN()), "0");
  EXPECT_EQ(Double(std::numeric_limits<double>::infinity()), "0");
  EXPECT_EQ(Double(-std::numeric_limits<double>::infinity()), "0");
  for (double v : {0.1, 1e16, 1.5e-7, 3.141592653589793, 2.5e-300}) {
    EXPECT_TRUE(IsValidJson(Double(v))) << v;
    EXPECT_EQ(std::stod(Double(v)), v);
  }
}

// The reference for fixed notation: the shortest fixed digits that round-trip, then ".0".
std::string ReferenceFixed(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  std::string out(buf, res.ptr);
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

TEST(JsonTest, ShortDecimalsMatchTheShortestRoundTrip) {
  std::mt19937_64 gen(7);
  std::uniform_int_distribution<int64_t> ints(-2000000000000, 2000000000000);
  std::uniform_int_distribution<int> decimals(0, 8);
  std::uniform_real_distribution<double> reals(-1e9, 1e9);
  for (int i = 0; i < 200000; ++i) {
    double v = static_cast<double>(ints(gen)) / std::pow(10.0, decimals(gen));
    if (i % 2 == 1) v = reals(gen);
    if (std::fabs(v) < 1e-5 || std::fabs(v) >= 1e16) continue;
    ASSERT_EQ(Double(v), ReferenceFixed(v)) << i;
  }
  for (double v : {0.1 + 0.2, 1e-5, 123456.000001, 0.000015, -0.5, 999999999999.999}) {
    EXPECT_EQ(Double(v), ReferenceFixed(v)) << v;
  }
}

}  // namespace
}  // namespace dynobs::logging::internal
