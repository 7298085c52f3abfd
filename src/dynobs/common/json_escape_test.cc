#include "dynobs/common/json_escape.h"

#include <gtest/gtest.h>

namespace dynobs {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\te\x01 \xc3\xa9", 13));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9\"");
}

}  // namespace
}  // namespace dynobs
