// Extraction and injection of trace context and request ids (spec §8.3, W3C Trace Context).
#include "dynobs/tracing/propagation.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/tracing/ids.h"

namespace dynobs::tracing {
namespace {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr std::string_view kUuid = "8372eac7-5f43-4d76-beca-0a94cfb311d0";

SpanContext Extract(const Headers& headers) { return ExtractContext(LookupIn(headers)); }

std::vector<std::pair<std::string, std::string>> Written(
    const std::function<void(const HeaderWriter&)>& inject) {
  std::vector<std::pair<std::string, std::string>> out;
  inject([&out](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}

TEST(ExtractTest, AValidTraceparentIsARemoteParent) {
  SpanContext c = Extract({{"traceparent", std::string(kTraceparent)}});
  ASSERT_TRUE(c.IsValid());
  EXPECT_TRUE(c.is_remote());
  EXPECT_EQ(c.trace_id().ToHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(c.span_id().ToHex(), "b7ad6b7169203331");
  EXPECT_EQ(c.flags(), kSampledFlag);
  EXPECT_TRUE(c.sampled());
  EXPECT_EQ(c.tracestate(), "");
}

TEST(ExtractTest, HeaderNamesAreCaseInsensitive) {
  for (std::string name : {"traceparent", "TraceParent", "TrAcEpArEnT", "TRACEPARENT"}) {
    SpanContext c = Extract({{name, std::string(kTraceparent)}, {"TraceState", "foo=1"}});
    EXPECT_TRUE(c.IsValid()) << name;
    EXPECT_EQ(c.tracestate(), "foo=1") << name;
  }
  EXPECT_FALSE(Extract({{"trace-parent", std::string(kTraceparent)}}).IsValid());
  EXPECT_FALSE(Extract({{"trace.parent", std::string(kTraceparent)}}).IsValid());
}

TEST(ExtractTest, ReservedFlagBitsAreCleared) {
  SpanContext c =
      Extract({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff"}});
  ASSERT_TRUE(c.IsValid());
  EXPECT_EQ(c.flags(), kSampledFlag | kRandomFlag);
  c = Extract({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}});
  EXPECT_FALSE(c.sampled());
}

TEST(ExtractTest, TwoTraceparentHeadersAreInvalid) {
  SpanContext c =
      Extract({{"traceparent", "00-12345678901234567890123456789011-1234567890123456-01"},
               {"traceparent", "00-12345678901234567890123456789012-1234567890123456-01"},
               {"tracestate", "foo=1"}});
  EXPECT_FALSE(c.IsValid());
  EXPECT_EQ(c.tracestate(), "");
}

TEST(ExtractTest, TracestateIsIgnoredWithoutAValidTraceparent) {
  EXPECT_EQ(Extract({{"tracestate", "foo=1"}}).tracestate(), "");
  SpanContext c =
      Extract({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01"},
               {"tracestate", "foo=1"}});
  EXPECT_FALSE(c.IsValid());
  EXPECT_EQ(c.tracestate(), "");
}

TEST(ExtractTest, TracestateHeadersAreCombinedAndNormalized) {
  SpanContext c = Extract({{"traceparent", std::string(kTraceparent)},
                           {"tracestate", "foo=1 , bar=2"},
                           {"TRACESTATE", ""},
                           {"tracestate", "\trojo=00f067aa0ba902b7"}});
  EXPECT_EQ(c.tracestate(), "foo=1,bar=2,rojo=00f067aa0ba902b7");
}

TEST(ExtractTest, AnInvalidTracestateIsDroppedButTheParentKept) {
  for (std::string bad : {"foo=1,foo=2", "FOO=1", "foo=bar=baz", "foo=,bar=3"}) {
    SpanContext c = Extract({{"traceparent", std::string(kTraceparent)}, {"tracestate", bad}});
    EXPECT_TRUE(c.IsValid()) << bad;
    EXPECT_EQ(c.tracestate(), "") << bad;
  }
}

TEST(ExtractTest, XRequestIdIsKeptAsSent) {
  EXPECT_EQ(Extract({{"X-Request-Id", "my id: 42!"}}).x_request_id(), "my id: 42!");
  EXPECT_EQ(Extract({}).x_request_id(), "");
}

TEST(ExtractTest, RequestIdMustBeAUuidElseANewOneIsMade) {
  EXPECT_EQ(Extract({{"request-id", std::string(kUuid)}}).request_id(), kUuid);
  std::string upper = "8372EAC7-5F43-4D76-BECA-0A94CFB311D0";
  EXPECT_EQ(Extract({{"Request-ID", upper}}).request_id(), upper);  // kept as sent
  for (const Headers& h : {Headers{}, Headers{{"request-id", "not-a-uuid"}}}) {
    std::string id(Extract(h).request_id());
    EXPECT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
  }
  EXPECT_NE(Extract({}).request_id(), Extract({}).request_id());
}

TEST(ExtractTest, TheDeprecatedHeaderIsAcceptedWhenItIsAUuid) {
  EXPECT_EQ(Extract({{"x-dynamo-request-id", std::string(kUuid)}}).request_id(), kUuid);
  std::string id(Extract({{"x-dynamo-request-id", "nope"}}).request_id());
  EXPECT_NE(id, "nope");
  EXPECT_TRUE(IsUuid(id));
  // request-id comes first; an invalid one gives way to a valid legacy one.
  std::string other = "11111111-2222-4333-8444-555555555555";
  EXPECT_EQ(
      Extract({{"x-dynamo-request-id", other}, {"request-id", std::string(kUuid)}}).request_id(),
      kUuid);
  EXPECT_EQ(Extract({{"request-id", "bad"}, {"x-dynamo-request-id", other}}).request_id(), other);
}

TEST(InjectTest, TraceContextCarriesFlagsAndTracestate) {
  SpanContext c =
      Extract({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"},
               {"tracestate", "congo=t61rcWkgMzE"}});
  auto headers = Written([&](const HeaderWriter& w) { InjectTraceContext(c, w); });
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].first, "traceparent");
  EXPECT_EQ(headers[0].second, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  EXPECT_EQ(headers[1],
            std::make_pair(std::string("tracestate"), std::string("congo=t61rcWkgMzE")));
  EXPECT_TRUE(Written([](const HeaderWriter& w) { InjectTraceContext(SpanContext(), w); }).empty());
}

TEST(InjectTest, InternalHopsSendOnlyTheSampledBitAndTheRequestIds) {
  SpanContext sampled =
      SpanContext(*TraceId::FromHex("0af7651916cd43dd8448eb211c80319c"),
                  *SpanId::FromHex("00f067aa0ba902b7"), kSampledFlag | kRandomFlag, false)
          .WithTracestate("rojo=1")
          .WithRequestIds("client-42", kUuid);
  auto headers = Written([&](const HeaderWriter& w) { InjectInternalHop(sampled, w); });
  std::map<std::string, std::string> m(headers.begin(), headers.end());
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(m["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
  EXPECT_EQ(m["tracestate"], "rojo=1");
  EXPECT_EQ(m["x-request-id"], "client-42");
  EXPECT_EQ(m["request-id"], kUuid);

  SpanContext unsampled(sampled.trace_id(), sampled.span_id(), kRandomFlag, false);
  headers = Written([&](const HeaderWriter& w) { InjectInternalHop(unsampled, w); });
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].second, "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-00");

  headers = Written([&](const HeaderWriter& w) {
    InjectInternalHop(SpanContext().WithRequestIds("", kUuid), w);
  });
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].first, "request-id");
}

TEST(InjectTest, ExtractAfterInjectGivesTheSameContext) {
  SpanContext c =
      SpanContext(NewTraceId(), NewSpanId(), kSampledFlag, false).WithTracestate("a=1,b@c=2");
  Headers headers;
  InjectTraceContext(c, [&](std::string_view n, std::string_view v) {
    headers.push_back({std::string(n), std::string(v)});
  });
  SpanContext back = Extract(headers);
  EXPECT_EQ(back.trace_id(), c.trace_id());
  EXPECT_EQ(back.span_id(), c.span_id());
  EXPECT_EQ(back.flags(), c.flags());
  EXPECT_EQ(back.tracestate(), "a=1,b@c=2");
}

}  // namespace
}  // namespace dynobs::tracing
