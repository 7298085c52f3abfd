#include "dynobs/logging/redaction.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dynobs::logging {
namespace {

TEST(RedactionTest, SensitiveKeys) {
  for (std::string_view key : {"authorization",
                               "Authorization",
                               "AUTHORIZATION",
                               "proxy-authorization",
                               "Proxy-Authorization",
                               "proxy_authorization",
                               "cookie",
                               "Cookie",
                               "set-cookie",
                               "Set-Cookie",
                               "set_cookie",
                               "x-api-key",
                               "X-API-Key",
                               "x_api_key",
                               "api-key",
                               "api_key",
                               "API_KEY",
                               "hf_token",
                               "access_token",
                               "x-auth-token",
                               "X-Auth-Token",
                               "password",
                               "db_password",
                               "DB_PASSWORD",
                               "secret",
                               "client_secret",
                               "Client-Secret"}) {
    EXPECT_TRUE(IsSensitiveKey(key)) << key;
  }
  for (std::string_view key :
       {"", "token", "tokens", "input_tokens", "output_tokens", "max_tokens", "token_count",
        "tokenizer", "cookies_enabled", "authorized", "api", "key", "model", "request_id",
        "secrets_loaded", "passwords_checked", "x-request-id", "content-type"}) {
    EXPECT_FALSE(IsSensitiveKey(key)) << key;
  }
}

TEST(RedactionTest, HeaderValues) {
  EXPECT_EQ(RedactHeaderValue("Authorization", "Bearer sk-1"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("Cookie", "a=b"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("X-Api-Key", "k"), "[REDACTED]");
  EXPECT_EQ(RedactHeaderValue("x-request-id", "abc"), "abc");
  EXPECT_EQ(RedactHeaderValue("traceparent", "00-1-2-01"), "00-1-2-01");
}

TEST(RedactionTest, FieldsAreCopiedOnlyWhenSomethingIsRedacted) {
  std::vector<Field> scratch;
  const Field clean[] = {{"model", "m"}, {"n", 1}};
  auto out = RedactFields(clean, &scratch);
  EXPECT_EQ(out.data(), clean);
  EXPECT_TRUE(scratch.empty());

  const Field dirty[] = {{"model", "m"}, {"Authorization", "Bearer x"}, {"api_key", 7}};
  out = RedactFields(dirty, &scratch);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].value.as_string(), "m");
  EXPECT_EQ(out[1].key, "Authorization");
  EXPECT_EQ(out[1].value.kind(), FieldValue::Kind::kString);
  EXPECT_EQ(out[1].value.as_string(), "[REDACTED]");
  EXPECT_EQ(out[2].value.as_string(), "[REDACTED]");
  EXPECT_EQ(dirty[1].value.as_string(), "Bearer x");  // the caller's fields are untouched
}

TEST(RedactionTest, PayloadsOnlyWhenEnabled) {
  ASSERT_FALSE(PayloadsEnabled());
  FieldValue off = Payload("What is the capital of France?");
  EXPECT_EQ(off.as_string(), "[payload omitted; set DYN_LOG_PAYLOADS=1 to log it]");
  SetPayloadsEnabled(true);
  EXPECT_EQ(Payload("What is the capital of France?").as_string(),
            "What is the capital of France?");
  SetPayloadsEnabled(false);
}

}  // namespace
}  // namespace dynobs::logging
