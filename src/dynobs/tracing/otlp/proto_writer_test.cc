#include "dynobs/tracing/otlp/internal/proto_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "dynobs/tracing/otlp/internal/json_writer.h"
#include "dynobs/tracing/otlp/internal/utf8.h"

namespace dynobs::otlp::internal {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string VarintOf(uint64_t v) {
  std::string out;
  ProtoWriter(&out).Varint(v);
  return out;
}

TEST(ProtoWriterTest, VarintEdgeCases) {
  EXPECT_EQ(VarintOf(0), Bytes({0x00}));
  EXPECT_EQ(VarintOf(1), Bytes({0x01}));
  EXPECT_EQ(VarintOf(127), Bytes({0x7f}));
  EXPECT_EQ(VarintOf(128), Bytes({0x80, 0x01}));
  EXPECT_EQ(VarintOf(300), Bytes({0xac, 0x02}));
  EXPECT_EQ(VarintOf(16383), Bytes({0xff, 0x7f}));
  EXPECT_EQ(VarintOf(16384), Bytes({0x80, 0x80, 0x01}));
  EXPECT_EQ(VarintOf(uint64_t{1} << 63),
            Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}));
  EXPECT_EQ(VarintOf(std::numeric_limits<uint64_t>::max()),
            Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                     std::numeric_limits<uint64_t>::max()}) {
    EXPECT_EQ(VarintSize(v), VarintOf(v).size()) << v;
  }
}

TEST(ProtoWriterTest, NegativeInt64IsTenBytes) {
  std::string out;
  ProtoWriter(&out).Int64Field(3, -1);
  EXPECT_EQ(out, Bytes({0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(ProtoWriterTest, FixedFieldsAreLittleEndian) {
  std::string out;
  ProtoWriter w(&out);
  w.Fixed64Field(7, 0x0102030405060708ULL);
  w.Fixed32Field(16, 0x101);
  w.DoubleField(4, 1.0);
  EXPECT_EQ(out, Bytes({0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,     // field 7, I64
                        0x85, 0x01, 0x01, 0x01, 0x00, 0x00,                       // field 16, I32
                        0x21, 0,    0,    0,    0,    0,    0,    0xf0, 0x3f}));  // 1.0
}

TEST(ProtoWriterTest, ShortNestedMessageKeepsOneLengthByte) {
  std::string out;
  ProtoWriter w(&out);
  size_t m = w.BeginMessage(2);
  w.StringField(1, "ab");
  w.EndMessage(m);
  EXPECT_EQ(out, Bytes({0x12, 0x04, 0x0a, 0x02, 'a', 'b'}));
}

TEST(ProtoWriterTest, LongNestedMessagesMoveUpForTheirLength) {
  for (size_t size : {125, 126, 127, 128, 16380, 16381, 16382}) {
    std::string out = "x";
    ProtoWriter w(&out);
    size_t outer = w.BeginMessage(1);
    size_t inner = w.BeginMessage(2);
    std::string payload(size, 'p');
    w.BytesField(3, payload);
    w.EndMessage(inner);
    w.EndMessage(outer);
    // Expected: x, 0a len(outer), 12 len(inner), 1a len(payload), payload.
    std::string inner_body = Bytes({0x1a}) + VarintOf(size) + payload;
    std::string outer_body = Bytes({0x12}) + VarintOf(inner_body.size()) + inner_body;
    EXPECT_EQ(out, "x" + Bytes({0x0a}) + VarintOf(outer_body.size()) + outer_body) << size;
  }
}

TEST(ProtoWriterTest, InvalidUtf8StringsAreRepaired) {
  std::string out;
  ProtoWriter(&out).StringField(5, std::string("a\xff"
                                               "b\xc3",
                                               4));
  EXPECT_EQ(out, Bytes({0x2a, 0x08, 'a', 0xef, 0xbf, 0xbd, 'b', 0xef, 0xbf, 0xbd}));
}

TEST(Utf8Test, AcceptsWellFormedAndRefusesMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text, longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                                  // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));                              // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));                              // surrogate D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xe2\x82"));                               // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));                                      // lone continuation
}

TEST(JsonWriterTest, EscapesAndRepairs) {
  std::string out;
  AppendJsonText(out, "q\"b\\n\n\r\t\x01\x1f/\xc3\xa9\xff!");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\r\\t\\u0001\\u001f/\xc3\xa9\xef\xbf\xbd!\"");
}

TEST(JsonWriterTest, NumbersFollowTheProtobufJsonMapping) {
  std::string out;
  AppendJsonInt64String(out, -9223372036854775807 - 1);
  out += ' ';
  AppendJsonUint64String(out, 18446744073709551615ULL);
  out += ' ';
  AppendJsonDouble(out, 0.1);
  out += ' ';
  AppendJsonDouble(out, std::numeric_limits<double>::quiet_NaN());
  out += ' ';
  AppendJsonDouble(out, -std::numeric_limits<double>::infinity());
  out += ' ';
  const uint8_t id[] = {0x00, 0xab, 0xff};
  AppendJsonHex(out, id, 3);
  EXPECT_EQ(out,
            "\"-9223372036854775808\" \"18446744073709551615\" 0.1 \"NaN\" \"-Infinity\" "
            "\"00abff\"");
}

}  // namespace
}  // namespace dynobs::otlp::internal
