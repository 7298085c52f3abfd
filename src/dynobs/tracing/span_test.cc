// The span API: parenting, what children inherit, sampling, and the SpanData an exported span
// hands to the processor. What logs see of spans is in span_logging_test.cc.
#include "dynobs/tracing/span.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/testing/span_fixture.h"

namespace dynobs::tracing {
namespace {

using testing::SpanTest;

constinit SpanSite kRequest("http-request", "request_span", logging::Level::kInfo,
                            SpanKind::kServer);
constinit SpanSite kChild("kv_router.schedule", "dynobs::router", logging::Level::kInfo);

struct Header {
  std::string name;
  std::string value;
};

// The context extracted from these headers (as a server would).
SpanContext Incoming(const std::vector<Header>& headers) {
  return ExtractContext(LookupIn(headers));
}

const Attribute* Find(const SpanData& d, std::string_view key) {
  for (const auto& a : d.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

TEST_F(SpanTest, ARootSpanStartsATraceWithTheRandomFlag) {
  int64_t before = WallNanos();
  SpanId span_id;
  TraceId trace_id;
  {
    Span span(kRequest);
    EXPECT_TRUE(span.context().IsValid());
    EXPECT_FALSE(span.context().is_remote());
    EXPECT_EQ(span.context().flags(), kSampledFlag | kRandomFlag);
    EXPECT_TRUE(span.is_recording());
    EXPECT_TRUE(span.is_exported());
    EXPECT_FALSE(span.parent_span_id().IsValid());
    span_id = span.context().span_id();
    trace_id = span.context().trace_id();
  }
  int64_t after = WallNanos();
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& d = spans[0];
  EXPECT_EQ(d.trace_id, trace_id);
  EXPECT_EQ(d.span_id, span_id);
  EXPECT_FALSE(d.parent_span_id.IsValid());
  EXPECT_FALSE(d.parent_is_remote);
  EXPECT_EQ(d.trace_flags, kSampledFlag | kRandomFlag);
  EXPECT_EQ(d.name, "http-request");
  EXPECT_EQ(d.kind, SpanKind::kServer);
  EXPECT_LE(before, d.start_unix_nanos);
  EXPECT_LE(d.start_unix_nanos, d.end_unix_nanos);
  EXPECT_LE(d.end_unix_nanos, after);
  EXPECT_TRUE(d.attributes.empty());
  EXPECT_EQ(d.status_code, StatusCode::kUnset);
}

TEST_F(SpanTest, SpanDataCarriesTypedAttributesEventsAndStatus) {
  {
    Span span(kRequest);
    span.SetAttribute("method", "POST");
    span.SetAttribute("uri", std::string("/v1/chat/completions"));
    span.SetAttribute("stream", true);
    span.SetAttribute("input_tokens", 128);
    span.SetAttribute("worker_id", uint64_t{0xffffffffffffffff});
    span.SetAttribute("ttft_ms", 12.5);
    span.SetAttribute("nvext", logging::FieldValue::Json(R"({"a":1})"));
    span.AddEvent("first_token", {{"index", 0}, {"text", "hi"}});
    span.SetStatus(StatusCode::kError, "backend stream inactivity timeout");
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& d = spans[0];
  ASSERT_EQ(d.attributes.size(), 7u);
  EXPECT_EQ(d.attributes[0].key, "method");  // in the order set
  EXPECT_EQ(Find(d, "method")->value.kind, AttributeValue::Kind::kString);
  EXPECT_EQ(Find(d, "uri")->value.s, "/v1/chat/completions");
  EXPECT_EQ(Find(d, "stream")->value.kind, AttributeValue::Kind::kBool);
  EXPECT_TRUE(Find(d, "stream")->value.b);
  EXPECT_EQ(Find(d, "input_tokens")->value.kind, AttributeValue::Kind::kInt);
  EXPECT_EQ(Find(d, "input_tokens")->value.i, 128);
  EXPECT_EQ(Find(d, "worker_id")->value.i, INT64_MAX);  // u64 saturates into OTLP's int64
  EXPECT_EQ(Find(d, "ttft_ms")->value.kind, AttributeValue::Kind::kDouble);
  EXPECT_EQ(Find(d, "ttft_ms")->value.d, 12.5);
  EXPECT_EQ(Find(d, "nvext")->value.s, R"({"a":1})");
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].name, "first_token");
  EXPECT_GE(d.events[0].time_unix_nanos, d.start_unix_nanos);
  EXPECT_LE(d.events[0].time_unix_nanos, d.end_unix_nanos);
  ASSERT_EQ(d.events[0].attributes.size(), 2u);
  EXPECT_EQ(d.events[0].attributes[1].value.s, "hi");
  EXPECT_EQ(d.status_code, StatusCode::kError);
  EXPECT_EQ(d.status_message, "backend stream inactivity timeout");
}

TEST_F(SpanTest, AttributesReplaceByKeyAndOverflowTheInlineStorage) {
  std::string long_text(300, 'x');  // more than the inline text
  {
    Span span(kRequest);
    span.SetAttribute("model", "a-long-model-name");
    span.SetAttribute("model", "short");  // reuses the bytes in place
    span.SetAttribute("model", "a-much-longer-model-name-than-before");
    for (int i = 0; i < 12; ++i) span.SetAttribute("k" + std::to_string(i), i);
    span.SetAttribute("long", long_text);
    ASSERT_EQ(span.info().fields.size(), 14u);
    EXPECT_EQ(span.info().fields[0].key, "model");
    EXPECT_EQ(span.info().fields[0].value.as_string(), "a-much-longer-model-name-than-before");
    EXPECT_EQ(span.info().fields[13].value.as_string(), long_text);
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_EQ(spans[0].attributes.size(), 14u);
  EXPECT_EQ(spans[0].attributes[12].key, "k11");
  EXPECT_EQ(spans[0].attributes[12].value.i, 11);
  EXPECT_EQ(spans[0].attributes[13].value.s, long_text);
}

TEST_F(SpanTest, AttributeAndEventLimitsDropAndCount) {
  {
    Span span(kRequest);
    for (int i = 0; i < 130; ++i) span.SetAttribute("key_" + std::to_string(i), i);
    span.SetAttribute("key_0", -1);  // replacing needs no room
    for (int i = 0; i < 131; ++i) span.AddEvent("e");
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attributes.size(), 128u);
  EXPECT_EQ(spans[0].attributes[0].value.i, -1);
  EXPECT_EQ(spans[0].dropped_attributes_count, 2u);
  EXPECT_EQ(spans[0].events.size(), 128u);
  EXPECT_EQ(spans[0].dropped_events_count, 3u);
}

TEST_F(SpanTest, StatusFollowsOpenTelemetrysRules) {
  {
    Span a(kRequest);
    a.SetStatus(StatusCode::kOk, "ignored message");
    a.SetStatus(StatusCode::kError, "too late");  // Ok is final
    Span b(kRequest);
    b.SetStatus(StatusCode::kError, "first");
    b.SetStatus(StatusCode::kUnset);  // ignored
    b.SetStatus(StatusCode::kError, "second");
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 2u);  // b ends first (destroyed first)
  EXPECT_EQ(spans[0].status_code, StatusCode::kError);
  EXPECT_EQ(spans[0].status_message, "second");
  EXPECT_EQ(spans[1].status_code, StatusCode::kOk);
  EXPECT_EQ(spans[1].status_message, "");
}

TEST_F(SpanTest, EndIsIdempotentAndFreezesTheSpan) {
  Span span(kRequest);
  span.End();
  EXPECT_TRUE(span.has_ended());
  span.SetAttribute("late", 1);
  span.AddEvent("late");
  span.End();
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_TRUE(spans[0].attributes.empty());
  EXPECT_TRUE(spans[0].events.empty());
}

TEST_F(SpanTest, AnExplicitParentGivesTheTraceAndWhatItCarries) {
  Span parent(kRequest, Incoming({{"x-request-id", "client-7"}}));
  Span child(kChild, parent.context());
  EXPECT_EQ(child.context().trace_id(), parent.context().trace_id());
  EXPECT_NE(child.context().span_id(), parent.context().span_id());
  EXPECT_EQ(child.parent_span_id(), parent.context().span_id());
  EXPECT_EQ(child.context().flags(), parent.context().flags());
  EXPECT_EQ(child.context().x_request_id(), "client-7");
  EXPECT_EQ(child.context().request_id(), parent.context().request_id());
  EXPECT_EQ(child.info().x_request_id, "client-7");
  EXPECT_EQ(child.info().parent_id, parent.context().span_id().bytes);
  child.End();
  parent.End();
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].parent_span_id, spans[1].span_id);
  EXPECT_FALSE(spans[0].parent_is_remote);
}

TEST_F(SpanTest, ARemoteParentKeepsItsFlagsAndTracestate) {
  SpanContext remote =
      Incoming({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                {"tracestate", "congo=t61rcWkgMzE"},
                {"request-id", "8372eac7-5f43-4d76-beca-0a94cfb311d0"}});
  {
    Span span(kRequest, remote);
    EXPECT_EQ(span.context().trace_id().ToHex(), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(span.parent_span_id().ToHex(), "b7ad6b7169203331");
    EXPECT_EQ(span.context().flags(), kSampledFlag);  // the random flag only as received
    EXPECT_EQ(span.context().tracestate(), "congo=t61rcWkgMzE");
    EXPECT_EQ(span.info().tracestate, "congo=t61rcWkgMzE");
    EXPECT_EQ(span.info().request_id, "8372eac7-5f43-4d76-beca-0a94cfb311d0");
    Span grandchild(kChild, span.context());
    EXPECT_EQ(grandchild.context().tracestate(), "congo=t61rcWkgMzE");
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_TRUE(spans[1].parent_is_remote);
  EXPECT_EQ(spans[1].trace_state, "congo=t61rcWkgMzE");
  EXPECT_FALSE(spans[0].parent_is_remote);
}

TEST_F(SpanTest, AnInvalidParentStartsANewTraceButKeepsItsRequestIds) {
  SpanContext none =
      Incoming({{"traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
                {"x-request-id", "abc"}});
  ASSERT_FALSE(none.IsValid());
  Span span(kRequest, none);
  EXPECT_TRUE(span.context().IsValid());
  EXPECT_FALSE(span.parent_span_id().IsValid());
  EXPECT_EQ(span.context().flags(), kSampledFlag | kRandomFlag);
  EXPECT_EQ(span.context().x_request_id(), "abc");
  EXPECT_EQ(span.context().request_id(), none.request_id());
}

TEST_F(SpanTest, ParentBasedSamplingFollowsAnUnsampledRemoteParent) {
  Span span(kRequest,
            Incoming({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}}));
  EXPECT_FALSE(span.is_sampled());
  Span child(kChild, span.context());
  EXPECT_FALSE(child.is_sampled());
  child.End();
  span.End();
  EXPECT_EQ(processor_.count(), 0u);
}

TEST_F(SpanTest, WithoutAProcessorNothingIsExported) {
  UseSampler(Sampler(), /*with_processor=*/false);
  Span span(kRequest);
  EXPECT_TRUE(span.is_sampled());
  EXPECT_FALSE(span.is_exported());
}

TEST_F(SpanTest, InjectingFromASpanSendsItsOwnIdAsTheParent) {
  Span server(kRequest,
              Incoming({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                        {"tracestate", "rojo=1"}}));
  std::vector<std::pair<std::string, std::string>> out;
  InjectInternalHop(server.context(),
                    [&out](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].second,
            "00-0af7651916cd43dd8448eb211c80319c-" + server.context().span_id().ToHex() + "-01");
  EXPECT_EQ(out[1].second, "rojo=1");
}

}  // namespace
}  // namespace dynobs::tracing
