// Many threads starting, entering and ending spans at once: every exported span is delivered
// once, with its own id and the right parent.
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/tracing/span.h"
#include "dynobs/tracing/testing/span_fixture.h"

namespace dynobs::tracing {
namespace {

using testing::SpanTest;

constinit SpanSite kRequest("http-request", "request_span");
constinit SpanSite kChild("handle_payload", "request_span");

TEST_F(SpanTest, ThreadsRacingAllDeliverEverySpan) {
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 2000;
  SetSpanEvents(false);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&go, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kRequestsPerThread; ++i) {
        Span request(kRequest);
        request.SetAttribute("thread", t);
        SpanScope scope(request);
        Span child(kChild);  // child of the current span
        child.SetAttribute("i", i);
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();

  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), static_cast<size_t>(2 * kThreads * kRequestsPerThread));
  std::map<std::string, const SpanData*> by_id;
  for (const auto& s : spans) {
    ASSERT_TRUE(by_id.emplace(s.span_id.ToHex(), &s).second) << "duplicate span id";
  }
  std::set<std::string> traces;
  for (const auto& s : spans) {
    if (s.name == "handle_payload") {
      auto parent = by_id.find(s.parent_span_id.ToHex());
      ASSERT_NE(parent, by_id.end());
      EXPECT_EQ(parent->second->name, "http-request");
      EXPECT_EQ(parent->second->trace_id, s.trace_id);
      EXPECT_EQ(parent->second->attributes.size(), 1u);
    } else {
      EXPECT_FALSE(s.parent_span_id.IsValid());
      traces.insert(s.trace_id.ToHex());
    }
  }
  EXPECT_EQ(traces.size(), static_cast<size_t>(kThreads * kRequestsPerThread));
}

TEST_F(SpanTest, AContextPassedToOtherThreadsParentsTheirSpans) {
  Span root(kRequest);
  SpanContext context = root.context();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([context] {
      for (int i = 0; i < 500; ++i) Span child(kChild, context);
    });
  }
  for (auto& th : threads) th.join();
  root.End();
  auto spans = processor_.Take();
  ASSERT_EQ(spans.size(), 2001u);
  for (size_t i = 0; i + 1 < spans.size(); ++i) {
    EXPECT_EQ(spans[i].parent_span_id, root.context().span_id());
    EXPECT_EQ(spans[i].trace_id, root.context().trace_id());
  }
}

}  // namespace
}  // namespace dynobs::tracing
