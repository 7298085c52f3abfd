#include "dynobs/tracing/otlp/retry.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "dynobs/tracing/otlp/internal/proto_writer.h"
#include "dynobs/tracing/otlp/response.h"

namespace dynobs::otlp {
namespace {

TEST(RetryPolicyTest, ExponentialBackoffWithJitterBounds) {
  RetryPolicy p{.initial_backoff_ms = 100, .max_backoff_ms = 1000};
  std::mt19937_64 rng(42);
  for (int retry = 1; retry <= 8; ++retry) {
    int64_t d = std::min<int64_t>(100LL << (retry - 1), 1000);
    int64_t lo = d, hi = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t b = p.BackoffMs(retry, rng());
      ASSERT_GE(b, d / 2) << retry;
      ASSERT_LE(b, d) << retry;
      lo = std::min(lo, b);
      hi = std::max(hi, b);
    }
    // The jitter spreads over the whole range, not a point.
    EXPECT_LE(lo, d / 2 + d / 20) << retry;
    EXPECT_GE(hi, d - d / 20) << retry;
  }
  EXPECT_EQ(p.BackoffMs(1, 0), 50);
  EXPECT_EQ(p.BackoffMs(1, 50), 100);
  EXPECT_EQ(p.BackoffMs(1000, 0), 500);  // capped, no overflow
}

TEST(RetryPolicyTest, RetryableAnswers) {
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(IsRetryableHttpStatus(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 408, 413, 500, 501, 505}) {
    EXPECT_FALSE(IsRetryableHttpStatus(s)) << s;
  }
  for (int c : {1, 4, 10, 11, 14, 15}) EXPECT_TRUE(IsRetryableGrpcCode(c, false)) << c;
  for (int c : {2, 3, 5, 6, 7, 9, 12, 13, 16}) EXPECT_FALSE(IsRetryableGrpcCode(c, true)) << c;
  EXPECT_FALSE(IsRetryableGrpcCode(8, false));  // RESOURCE_EXHAUSTED without RetryInfo
  EXPECT_TRUE(IsRetryableGrpcCode(8, true));
}

TEST(RetryAfterTest, SecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfterMs("1", 0), 1000);
  EXPECT_EQ(ParseRetryAfterMs(" 120 ", 0), 120000);
  EXPECT_EQ(ParseRetryAfterMs("0", 0), 0);
  // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT.
  EXPECT_EQ(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 2500), 2500);
  EXPECT_EQ(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 1), 0);
  for (const char* bad : {"", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "99999999999999999999"}) {
    EXPECT_FALSE(ParseRetryAfterMs(bad, 0).has_value()) << bad;
  }
}

TEST(ResponseTest, ProtoPartialSuccess) {
  std::string body;
  internal::ProtoWriter w(&body);
  size_t m = w.BeginMessage(1);
  w.VarintField(1, 3);
  w.StringField(2, "3 spans rejected");
  w.EndMessage(m);
  auto p = ParseProtoResponse(body);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 3);
  EXPECT_EQ(p->error_message, "3 spans rejected");
  EXPECT_TRUE(ParseProtoResponse("")->empty());
  EXPECT_FALSE(ParseProtoResponse("\x0a\x05\x08").has_value());  // length past the end
  EXPECT_FALSE(ParseProtoResponse("\x0a\x02\x08").has_value());  // truncated varint inside
  EXPECT_FALSE(ParseProtoResponse("\x0b").has_value());          // group wire type
}

TEST(ResponseTest, JsonPartialSuccess) {
  auto p = ParseJsonResponse(R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}})",
                             Signal::kTraces);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 2);
  EXPECT_EQ(p->error_message, "bad ids");
  p = ParseJsonResponse(R"({"partialSuccess":{"rejectedLogRecords":5}})", Signal::kLogs);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->rejected, 5);
  EXPECT_TRUE(ParseJsonResponse("{}", Signal::kTraces)->empty());
  EXPECT_TRUE(ParseJsonResponse("", Signal::kTraces)->empty());
  EXPECT_FALSE(ParseJsonResponse("{", Signal::kTraces).has_value());
  EXPECT_FALSE(ParseJsonResponse(R"({"partialSuccess":{"rejectedSpans":"x"}})", Signal::kTraces)
                   .has_value());
}

std::string StatusWithRetryInfo(int64_t seconds, int32_t nanos, std::string_view type_url) {
  std::string duration, retry_info, any, status;
  internal::ProtoWriter d(&duration);
  d.VarintField(1, static_cast<uint64_t>(seconds));
  d.VarintField(2, static_cast<uint64_t>(nanos));
  internal::ProtoWriter(&retry_info).BytesField(1, duration);
  internal::ProtoWriter a(&any);
  a.StringField(1, type_url);
  a.BytesField(2, retry_info);
  internal::ProtoWriter s(&status);
  s.VarintField(1, 14);
  s.StringField(2, "unavailable");
  s.BytesField(3, any);
  return status;
}

TEST(ResponseTest, RetryInfoFromStatusDetails) {
  EXPECT_EQ(RetryInfoDelayMs(
                StatusWithRetryInfo(1, 500'000'000, "type.googleapis.com/google.rpc.RetryInfo")),
            1500);
  EXPECT_FALSE(
      RetryInfoDelayMs(StatusWithRetryInfo(1, 0, "type.googleapis.com/other")).has_value());
  EXPECT_FALSE(RetryInfoDelayMs("").has_value());
  EXPECT_FALSE(RetryInfoDelayMs("\xff\xff").has_value());
}

}  // namespace
}  // namespace dynobs::otlp
