// tracestate parse, limits and emit, from the W3C Trace Context recommendation (Level 1 §3.3).
#include "dynobs/tracing/tracestate.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace dynobs::tracing {
namespace {

std::optional<TraceState> ParseAll(std::vector<std::string> values) {
  std::vector<std::string_view> views(values.begin(), values.end());
  return TraceState::Parse(views);
}

std::string Members(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) {
    if (!out.empty()) out += ',';
    out += "bar" + std::to_string(i) + "=" + std::to_string(i);
  }
  return out;
}

TEST(TraceStateTest, ParsesMembersInOrder) {
  auto ts = TraceState::Parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(ts.has_value());
  ASSERT_EQ(ts->members().size(), 2u);
  EXPECT_EQ(ts->members()[0], (TraceState::Member{"rojo", "00f067aa0ba902b7"}));
  EXPECT_EQ(ts->Get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(ts->Get("nobody"), std::nullopt);
  EXPECT_EQ(ts->ToHeader(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(TraceStateTest, CombinesSeveralHeadersInOrder) {
  auto ts = ParseAll({"foo=1,bar=2", "rojo=1,congo=2", "baz=3"});
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->ToHeader(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(TraceStateTest, AcceptsAndDropsEmptyAndBlankMembers) {
  EXPECT_EQ(TraceState::Parse("")->ToHeader(), "");
  EXPECT_TRUE(TraceState::Parse("")->empty());
  EXPECT_EQ(TraceState::Parse(" \t ")->ToHeader(), "");
  EXPECT_EQ(TraceState::Parse("foo=1,,bar=2")->ToHeader(), "foo=1,bar=2");
  EXPECT_EQ(TraceState::Parse(",foo=1, ,\t,")->ToHeader(), "foo=1");
  EXPECT_EQ(ParseAll({"foo=1", ""})->ToHeader(), "foo=1");
  EXPECT_EQ(ParseAll({"", "foo=1"})->ToHeader(), "foo=1");
}

TEST(TraceStateTest, StripsOptionalWhitespaceAroundMembers) {
  EXPECT_EQ(TraceState::Parse("foo=1 \t , \t bar=2, \t baz=3")->ToHeader(), "foo=1,bar=2,baz=3");
  EXPECT_EQ(TraceState::Parse("foo=1\t \t,\t \tbar=2,\t \tbaz=3")->ToHeader(), "foo=1,bar=2,baz=3");
  for (std::string_view v : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"}) {
    auto ts = TraceState::Parse(v);
    ASSERT_TRUE(ts.has_value()) << v;
    EXPECT_EQ(ts->Get("foo"), "1") << v;
  }
}

TEST(TraceStateTest, ValuesKeepLeadingSpaces) {
  auto ts = TraceState::Parse("foo= 1 2");
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->Get("foo"), " 1 2");
}

TEST(TraceStateTest, AcceptsEveryAllowedCharacter) {
  std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c) {
    if (c != ',' && c != '=') value += static_cast<char>(c);
  }
  auto ts = TraceState::Parse(key + "=" + value);
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->Get(key), value);
  ts = TraceState::Parse(key + "@a-z0-9_-*/=" + value);
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->Get(key + "@a-z0-9_-*/"), value);
}

TEST(TraceStateTest, KeyGrammar) {
  for (std::string_view key :
       {"a", "foo", "foo123", "f_-*/0", "fw529a3039@dt", "1tenant@sys", "9@a", "t@v"}) {
    EXPECT_TRUE(TraceState::IsValidKey(key)) << key;
  }
  for (std::string_view key :
       {"", "FOO", "Foo", "foo ", " foo", "foo.bar", "1foo", "_foo", "foo@", "@foo", "foo@@bar",
        "foo@bar@baz", "foo@1bar", "foo@Bar", "fo=o", "fo,o", "foo\tbar"}) {
    EXPECT_FALSE(TraceState::IsValidKey(key)) << key;
  }
}

TEST(TraceStateTest, KeyLengthLimits) {
  EXPECT_TRUE(TraceState::IsValidKey(std::string(256, 'z')));
  EXPECT_FALSE(TraceState::IsValidKey(std::string(257, 'z')));
  EXPECT_TRUE(TraceState::IsValidKey(std::string(241, 't') + "@" + std::string(14, 'v')));
  EXPECT_FALSE(TraceState::IsValidKey(std::string(242, 't') + "@v"));
  EXPECT_FALSE(TraceState::IsValidKey("t@" + std::string(15, 'v')));
}

TEST(TraceStateTest, ValueGrammar) {
  EXPECT_TRUE(TraceState::IsValidValue("1"));
  EXPECT_TRUE(TraceState::IsValidValue(" 1"));
  EXPECT_TRUE(TraceState::IsValidValue(std::string(256, 'v')));
  EXPECT_FALSE(TraceState::IsValidValue(std::string(257, 'v')));
  EXPECT_FALSE(TraceState::IsValidValue(""));
  EXPECT_FALSE(TraceState::IsValidValue("1 "));
  EXPECT_FALSE(TraceState::IsValidValue("a,b"));
  EXPECT_FALSE(TraceState::IsValidValue("a=b"));
  EXPECT_FALSE(TraceState::IsValidValue("a\tb"));
  EXPECT_FALSE(TraceState::IsValidValue("caf\xc3\xa9"));
  EXPECT_FALSE(TraceState::IsValidValue(std::string("a\x7f", 2)));
}

TEST(TraceStateTest, AnInvalidMemberDiscardsTheWholeHeader) {
  for (std::string_view v :
       {"foo =1", "FOO=1", "foo.bar=1", "foo@=1,bar=2", "@foo=1,bar=2", "foo@@bar=1,bar=2",
        "foo@bar@baz=1,bar=2", "foo=bar=baz", "foo=,bar=3", "foo", "foo=1,bar", "=1"}) {
    EXPECT_FALSE(TraceState::Parse(v).has_value()) << v;
  }
  EXPECT_FALSE(ParseAll({"foo=1", std::string(257, 'z') + "=1"}).has_value());
  EXPECT_FALSE(ParseAll({"foo=1", std::string(242, 't') + "@v=1"}).has_value());
  EXPECT_FALSE(ParseAll({"foo=1", "t@" + std::string(15, 'v') + "=1"}).has_value());
}

TEST(TraceStateTest, DuplicateKeysDiscardTheWholeHeader) {
  EXPECT_FALSE(TraceState::Parse("foo=1,foo=1").has_value());
  EXPECT_FALSE(TraceState::Parse("foo=1,foo=2").has_value());
  EXPECT_FALSE(ParseAll({"foo=1", "foo=1"}).has_value());
  EXPECT_FALSE(ParseAll({"foo=1", "bar=1", "foo=2"}).has_value());
  EXPECT_TRUE(TraceState::Parse("foo=1,foo@t=1").has_value());
}

TEST(TraceStateTest, AtMost32Members) {
  auto ts = ParseAll({Members(1, 10), Members(11, 20), Members(21, 30), Members(31, 32)});
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->members().size(), 32u);
  EXPECT_EQ(ts->Get("bar1"), "1");
  EXPECT_FALSE(
      ParseAll({Members(1, 10), Members(11, 20), Members(21, 30), Members(31, 33)}).has_value());
  // Empty members do not count.
  EXPECT_TRUE(TraceState::Parse(Members(1, 32) + ",,, ,").has_value());
}

TEST(TraceStateTest, TruncatesPast512CharactersByWholeMembersLongOnesFirst) {
  std::string long_value(200, 'L');  // a member of 204 characters
  std::string header = "a=1,long=" + long_value;
  for (int i = 0; i < 20; ++i) header += ",k" + std::to_string(i) + "=" + std::string(12, 'v');
  auto ts = TraceState::Parse(header);
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->Get("long"), std::nullopt);  // long members go first
  EXPECT_EQ(ts->Get("a"), "1");
  EXPECT_EQ(ts->members().size(), 21u);  // 333 characters now: nothing else goes
  EXPECT_LE(ts->ToHeader().size(), TraceState::kMaxLength);

  std::string many;
  for (int i = 0; i < 32; ++i) {
    if (!many.empty()) many += ',';
    many += "k" + (i < 10 ? "0" + std::to_string(i) : std::to_string(i)) + "=" +
            std::string(20, 'v');  // 24 characters each
  }
  ts = TraceState::Parse(many);  // 32 * 24 + 31 = 799 characters
  ASSERT_TRUE(ts.has_value());
  std::string out = ts->ToHeader();
  EXPECT_LE(out.size(), TraceState::kMaxLength);
  EXPECT_EQ(ts->members().size(), 20u);  // 20 * 24 + 19 = 499; 21 would be 524
  EXPECT_EQ(ts->members().front().key, "k00");
  EXPECT_EQ(ts->members().back().key, "k19");
}

TEST(TraceStateTest, SetAddsOrMovesToTheFrontAndEvictsTheRightmost) {
  auto ts = TraceState::Parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  ASSERT_TRUE(ts.has_value());
  EXPECT_TRUE(ts->Set("rojo", "new"));
  EXPECT_EQ(ts->ToHeader(), "rojo=new,congo=t61rcWkgMzE");
  EXPECT_TRUE(ts->Set("dynobs", "x"));
  EXPECT_EQ(ts->ToHeader(), "dynobs=x,rojo=new,congo=t61rcWkgMzE");
  EXPECT_FALSE(ts->Set("Bad", "x"));
  EXPECT_FALSE(ts->Set("good", "bad,value"));
  ts->Erase("rojo");
  EXPECT_EQ(ts->ToHeader(), "dynobs=x,congo=t61rcWkgMzE");

  auto full = TraceState::Parse(Members(1, 32));
  ASSERT_TRUE(full.has_value());
  EXPECT_TRUE(full->Set("new", "1"));
  EXPECT_EQ(full->members().size(), 32u);
  EXPECT_EQ(full->members().front().key, "new");
  EXPECT_EQ(full->Get("bar32"), std::nullopt);
}

}  // namespace
}  // namespace dynobs::tracing
