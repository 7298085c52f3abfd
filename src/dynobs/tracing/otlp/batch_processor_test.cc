#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/log_processor.h"
#include "dynobs/tracing/otlp/span_processor.h"
#include "dynobs/tracing/otlp/testing/fake_transport.h"

namespace dynobs::otlp {
namespace {

constexpr int64_t kMs = 1'000'000;

// Counts occurrences of `needle` in every body (http/json bodies: one "spanId" per span).
size_t Count(const std::vector<std::string>& bodies, std::string_view needle) {
  size_t n = 0;
  for (const auto& b : bodies) {
    for (size_t at = b.find(needle); at != std::string::npos; at = b.find(needle, at + 1)) ++n;
  }
  return n;
}

tracing::SpanData Span(uint64_t n) {
  tracing::SpanData s;
  s.trace_id.bytes[0] = 1;
  for (int i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
  s.span_id.bytes[7] |= 0x80;  // never all zero
  s.name = "span";
  s.start_unix_nanos = 1;
  s.end_unix_nanos = 2;
  s.attributes = {{"k", {.s = "v"}}};
  return s;
}

struct SpanHarness {
  explicit SpanHarness(BatchConfig config, RetryPolicy policy = {}) {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    processor = std::make_unique<BatchSpanProcessor>(
        config, Protocol::kHttpJson, TraceEncoder(Resource{{{"service.name", "t"}}}, "t"),
        std::make_unique<Exporter>(Signal::kTraces, std::move(t), policy, "fake://"));
  }
  size_t Exported() { return Count(transport->bodies(), "\"spanId\""); }
  testing::FakeTransport* transport;
  std::unique_ptr<BatchSpanProcessor> processor;
};

const SignalMetrics& Spans() { return ExportMetrics(Signal::kTraces); }

TEST(BatchSpanProcessorTest, ExportsFullBatchesAtOnceAndTheRestOnFlush) {
  SpanHarness h({.max_queue_size = 100,
                 .max_export_batch_size = 10,
                 .schedule_delay_ms = 60'000,
                 .export_timeout_ms = 5000});
  uint64_t exported = Spans().exported.Value();
  for (uint64_t i = 0; i < 25; ++i) h.processor->OnEnd(Span(i));
  EXPECT_TRUE(h.transport->WaitFor([](const auto& b) { return b.size() == 2; }));
  EXPECT_EQ(h.Exported(), 20u);  // two full batches, without waiting for the delay
  EXPECT_TRUE(h.processor->ForceFlush(5000));
  EXPECT_EQ(h.transport->bodies().size(), 3u);
  EXPECT_EQ(h.Exported(), 25u);
  EXPECT_EQ(Spans().exported.Value() - exported, 25u);
}

TEST(BatchSpanProcessorTest, ExportsAfterTheScheduleDelay) {
  SpanHarness h({.max_queue_size = 100,
                 .max_export_batch_size = 10,
                 .schedule_delay_ms = 50,
                 .export_timeout_ms = 5000});
  int64_t start = MonotonicNanos();
  for (uint64_t i = 0; i < 3; ++i) h.processor->OnEnd(Span(i));
  EXPECT_TRUE(h.transport->WaitFor([](const auto& b) { return !b.empty(); }));
  EXPECT_LT(MonotonicNanos() - start, 2000 * kMs);
  EXPECT_EQ(h.Exported(), 3u);
}

// A collector that never answers: OnEnd stays fast, drops are counted, every span is accounted
// for exactly once (exported, dropped for a full queue, failed, or dropped at shutdown), and
// shutdown keeps its time bound.
TEST(BatchSpanProcessorTest, StalledCollectorNeverBlocksAndEverySpanIsCounted) {
  const auto& m = Spans();
  uint64_t before = m.exported.Value() + m.dropped_queue_full.Value() +
                    m.dropped_export_failed.Value() + m.dropped_shutdown.Value() +
                    m.dropped_rejected.Value();
  uint64_t full_before = m.dropped_queue_full.Value();
  SpanHarness h({.max_queue_size = 64,
                 .max_export_batch_size = 8,
                 .schedule_delay_ms = 5,
                 .export_timeout_ms = 60'000});
  h.transport->Stall(true);
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 20'000;
  std::vector<int64_t> worst(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        auto span = Span(t * kPerThread + i);
        int64_t start = MonotonicNanos();
        h.processor->OnEnd(std::move(span));
        worst[t] = std::max(worst[t], MonotonicNanos() - start);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Far below the stall (60 s): nothing waited for the exporter.
  EXPECT_LT(*std::max_element(worst.begin(), worst.end()), 200 * kMs);
  EXPECT_GE(m.dropped_queue_full.Value() - full_before, kThreads * kPerThread - 64 - 8);
  int64_t start = MonotonicNanos();
  h.processor->Shutdown(200);
  EXPECT_LT(MonotonicNanos() - start, 1500 * kMs);
  uint64_t after = m.exported.Value() + m.dropped_queue_full.Value() +
                   m.dropped_export_failed.Value() + m.dropped_shutdown.Value() +
                   m.dropped_rejected.Value();
  EXPECT_EQ(after - before, kThreads * kPerThread);
}

TEST(BatchSpanProcessorTest, ForceFlushKeepsItsBoundAndSaysItFailed) {
  SpanHarness h({.max_queue_size = 64,
                 .max_export_batch_size = 8,
                 .schedule_delay_ms = 60'000,
                 .export_timeout_ms = 60'000});
  h.transport->Stall(true);
  h.processor->OnEnd(Span(1));
  int64_t start = MonotonicNanos();
  EXPECT_FALSE(h.processor->ForceFlush(100));
  EXPECT_LT(MonotonicNanos() - start, 1000 * kMs);
  h.transport->Stall(false);
  h.processor->OnEnd(Span(2));
  EXPECT_TRUE(h.processor->ForceFlush(5000));
}

TEST(BatchSpanProcessorTest, FailedExportMakesFlushFalse) {
  SpanHarness h({.max_queue_size = 64,
                 .max_export_batch_size = 8,
                 .schedule_delay_ms = 60'000,
                 .export_timeout_ms = 5000});
  h.transport->Script(
      {AttemptResult::Failed(AttemptResult::Outcome::kFinal, FailureKind::kRejected, "400")});
  uint64_t failed = Spans().dropped_export_failed.Value();
  h.processor->OnEnd(Span(1));
  EXPECT_FALSE(h.processor->ForceFlush(5000));
  EXPECT_EQ(Spans().dropped_export_failed.Value() - failed, 1u);
}

TEST(BatchSpanProcessorTest, ShutdownExportsWhatIsQueuedThenDropsLaterSpans) {
  SpanHarness h({.max_queue_size = 64,
                 .max_export_batch_size = 8,
                 .schedule_delay_ms = 60'000,
                 .export_timeout_ms = 5000});
  for (uint64_t i = 0; i < 20; ++i) h.processor->OnEnd(Span(i));
  h.processor->Shutdown(5000);
  EXPECT_EQ(h.Exported(), 20u);
  uint64_t shutdown = Spans().dropped_shutdown.Value();
  h.processor->OnEnd(Span(99));
  EXPECT_EQ(Spans().dropped_shutdown.Value() - shutdown, 1u);
  h.processor->Shutdown(5000);  // twice is harmless
}

TEST(BatchSpanProcessorTest, ManyThreadsEveryFinishedSpanExportedOnce) {
  SpanHarness h({.max_queue_size = 100'000,
                 .max_export_batch_size = 512,
                 .schedule_delay_ms = 5,
                 .export_timeout_ms = 5000});
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) h.processor->OnEnd(Span(t * kPerThread + i));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(h.processor->ForceFlush(10'000));
  std::set<std::string> ids;
  for (const auto& body : h.transport->bodies()) {
    for (size_t at = body.find("\"spanId\":\""); at != std::string::npos;
         at = body.find("\"spanId\":\"", at + 1)) {
      EXPECT_TRUE(ids.insert(body.substr(at + 10, 16)).second) << "duplicate span";
    }
  }
  EXPECT_EQ(ids.size(), kThreads * kPerThread);
}

TEST(BatchLogProcessorTest, CopiesRecordsOutOfTheCall) {
  auto t = std::make_unique<testing::FakeTransport>();
  auto* transport = t.get();
  BatchLogProcessor processor(
      {.max_queue_size = 16,
       .max_export_batch_size = 16,
       .schedule_delay_ms = 60'000,
       .export_timeout_ms = 5000},
      Protocol::kHttpJson, LogEncoder(Resource{{{"service.name", "t"}}}),
      std::make_unique<Exporter>(Signal::kLogs, std::move(t), RetryPolicy{}, "fake://"));
  uint64_t full = ExportMetrics(Signal::kLogs).dropped_queue_full.Value();
  for (int i = 0; i < 20; ++i) {
    std::string message = "message " + std::to_string(i);
    std::string key = "key";
    std::string value = std::string(100, 'x') + std::to_string(i);
    logging::Field fields[] = {{key, value}};
    processor.OnRecord(
        {.time_unix_nanos = 1000 + i, .target = "t", .message = message, .fields = fields});
    message.assign(message.size(), '?');  // the views die here
    value.assign(value.size(), '?');
  }
  EXPECT_EQ(ExportMetrics(Signal::kLogs).dropped_queue_full.Value() - full, 4u);
  ASSERT_TRUE(processor.ForceFlush(5000));
  std::string body = transport->bodies().at(0);
  EXPECT_NE(body.find("\"body\":{\"stringValue\":\"message 15\"}"), std::string::npos);
  EXPECT_NE(body.find(std::string(100, 'x') + "15\""), std::string::npos);
  EXPECT_EQ(body.find('?'), std::string::npos);
}

}  // namespace
}  // namespace dynobs::otlp
