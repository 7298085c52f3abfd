// What logs see of spans (spec §7.3): the current span and its scopes, spans the log filter
// turns away, unsampled spans, and the SPAN_FIRST_ENTRY / SPAN_CLOSED records.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/logging/span_info.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/span.h"
#include "dynobs/tracing/testing/span_fixture.h"

namespace dynobs::tracing {
namespace {

using testing::SpanTest;

constinit SpanSite kRequest("http-request", "request_span", logging::Level::kInfo,
                            SpanKind::kServer);
constinit SpanSite kChild("kv_router.schedule", "dynobs::router", logging::Level::kInfo);
// DEBUG: filtered out by the default `info` filter, as Dynamo's system-port spans.
constinit SpanSite kSystem("http-request", "system_span", logging::Level::kDebug);

struct Header {
  std::string name;
  std::string value;
};

SpanContext Incoming(const std::vector<Header>& headers) {
  return ExtractContext(LookupIn(headers));
}

TEST_F(SpanTest, TheCurrentSpanParentsChildrenAndNestsLifo) {
  EXPECT_EQ(CurrentSpan(), nullptr);
  EXPECT_EQ(logging::CurrentSpan(), nullptr);
  Span outer(kRequest);
  {
    SpanScope outer_scope(outer);
    EXPECT_EQ(CurrentSpan(), &outer);
    EXPECT_EQ(logging::CurrentSpan(), &outer.info());
    Span inner(kChild);
    EXPECT_EQ(inner.parent_span_id(), outer.context().span_id());
    {
      SpanScope inner_scope(inner);
      EXPECT_EQ(logging::CurrentSpan(), &inner.info());
      Span leaf(kChild);
      EXPECT_EQ(leaf.parent_span_id(), inner.context().span_id());
      EXPECT_EQ(CurrentSpanContext().span_id(), inner.context().span_id());
    }
    EXPECT_EQ(CurrentSpan(), &outer);
    EXPECT_EQ(logging::CurrentSpan(), &outer.info());
  }
  EXPECT_EQ(CurrentSpan(), nullptr);
  EXPECT_EQ(logging::CurrentSpan(), nullptr);
  EXPECT_FALSE(CurrentSpanContext().IsValid());
  Span root(kChild);
  EXPECT_FALSE(root.parent_span_id().IsValid());
  EXPECT_NE(root.context().trace_id(), outer.context().trace_id());
}

TEST_F(SpanTest, TheCurrentSpanIsPerThread) {
  Span span(kRequest);
  SpanScope scope(span);
  std::thread([] {
    EXPECT_EQ(CurrentSpan(), nullptr);
    Span other(kChild);
    EXPECT_FALSE(other.parent_span_id().IsValid());
  }).join();
}

TEST_F(SpanTest, AFilteredOutSpanIsNotRecordedButKeepsAndPropagatesIds) {
  SetSpanEvents(true);
  {
    Span span(
        kSystem,
        Incoming({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}));
    EXPECT_FALSE(span.is_recording());
    EXPECT_FALSE(span.is_exported());
    EXPECT_TRUE(span.is_sampled());
    EXPECT_TRUE(span.context().IsValid());
    EXPECT_EQ(span.context().trace_id().ToHex(), "0af7651916cd43dd8448eb211c80319c");
    SpanScope scope(span);
    EXPECT_EQ(logging::CurrentSpan(), &span.info());  // log lines still carry its ids
    Span child(kChild);                               // recording: its target is enabled
    EXPECT_EQ(child.parent_span_id(), span.context().span_id());
  }
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "kv_router.schedule");
  auto events = TakeSpanEvents();  // the child's only (never entered: no SPAN_FIRST_ENTRY)
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message, "SPAN_CLOSED");
  EXPECT_EQ(events[0].span_name, "kv_router.schedule");
}

TEST_F(SpanTest, AnUnsampledSpanIsInLogsButNotExported) {
  UseSampler(Sampler::AlwaysOff());
  SetSpanEvents(true);
  {
    Span span(kRequest);
    EXPECT_TRUE(span.is_recording());
    EXPECT_FALSE(span.is_sampled());
    EXPECT_FALSE(span.is_exported());
    EXPECT_EQ(span.context().flags(), kRandomFlag);
    SpanScope scope(span);
    EXPECT_EQ(logging::CurrentSpan(), &span.info());
    Span child(kChild);
    EXPECT_FALSE(child.is_sampled());
  }
  EXPECT_EQ(processor_.count(), 0u);
  auto events = TakeSpanEvents();
  ASSERT_EQ(events.size(), 3u);  // span events do not depend on sampling
  EXPECT_EQ(events[0].message, "SPAN_FIRST_ENTRY");
  EXPECT_EQ(events[1].span_name, "kv_router.schedule");
  EXPECT_EQ(events[2].message, "SPAN_CLOSED");
}

TEST_F(SpanTest, SpanEventsAnnounceFirstEntryOnceAndCloseWithBusyAndIdle) {
  SetSpanEvents(true);
  constexpr auto kStep = std::chrono::milliseconds(5);
  {
    Span span(kRequest);
    std::this_thread::sleep_for(kStep);  // idle
    for (int i = 0; i < 2; ++i) {
      SpanScope scope(span);
      SpanScope nested(span);              // re-entering does not count twice
      std::this_thread::sleep_for(kStep);  // busy
    }
  }
  auto events = TakeSpanEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].message, "SPAN_FIRST_ENTRY");
  EXPECT_EQ(events[0].span_name, "http-request");
  EXPECT_EQ(events[0].level, logging::Level::kInfo);
  EXPECT_EQ(events[1].message, "SPAN_CLOSED");
  constexpr int64_t kStepUs = 5'000;
  EXPECT_GE(events[1].busy_us, 2 * kStepUs);
  EXPECT_GE(events[1].idle_us, kStepUs);
  EXPECT_LT(events[1].idle_us, events[1].busy_us);
}

TEST_F(SpanTest, EndingWhileEnteredCountsTheTimeEnteredAsBusy) {
  SetSpanEvents(true);
  Span span(kRequest);
  {
    SpanScope scope(span);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    span.End();
  }
  auto events = TakeSpanEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_GE(events[1].busy_us, 5'000);
  EXPECT_EQ(CurrentSpan(), nullptr);
}

TEST_F(SpanTest, TheFilterCanTurnASiteOnAndOff) {
  EXPECT_FALSE(Span(kSystem).is_recording());
  SetDirectives("info,system_span=debug");
  EXPECT_TRUE(Span(kSystem).is_recording());
  SetDirectives("warn,dynobs=off");
  EXPECT_FALSE(Span(kChild).is_recording());
  EXPECT_TRUE(Span(kRequest).is_recording());  // request_span=trace is always added
}

TEST_F(SpanTest, NoSpanEventsWhenTheyAreOff) {
  {
    Span span(kRequest);
    SpanScope scope(span);
  }
  EXPECT_TRUE(TakeSpanEvents().empty());
}

}  // namespace
}  // namespace dynobs::tracing
