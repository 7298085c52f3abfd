#include "dynobs/tracing/otlp/exporter.h"

#include <gtest/gtest.h>

#include <thread>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/testing/fake_transport.h"

namespace dynobs::otlp {
namespace {

using Outcome = AttemptResult::Outcome;

constexpr int64_t kMs = 1'000'000;

struct Harness {
  explicit Harness(RetryPolicy policy = {.initial_backoff_ms = 10, .max_backoff_ms = 40}) {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    exporter = std::make_unique<Exporter>(Signal::kTraces, std::move(t), policy, "fake://");
  }
  testing::FakeTransport* transport;
  std::unique_ptr<Exporter> exporter;
};

AttemptResult Retryable(FailureKind kind, std::optional<int64_t> retry_after_ms = {}) {
  auto r = AttemptResult::Failed(Outcome::kRetryable, kind, "retryable");
  r.retry_after_ms = retry_after_ms;
  return r;
}

uint64_t Failures(FailureKind k) {
  return ExportMetrics(Signal::kTraces).failures[static_cast<size_t>(k)].Value();
}

TEST(ExporterTest, RetriesRetryableAnswersUntilDelivered) {
  Harness h;
  h.transport->Script({Retryable(FailureKind::kUnavailable), Retryable(FailureKind::kThrottled)});
  uint64_t retries = ExportMetrics(Signal::kTraces).retries.Value();
  uint64_t unavailable = Failures(FailureKind::kUnavailable);
  auto r = h.exporter->Export("body", MonotonicNanos() + 5000 * kMs);
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(h.transport->bodies(), (std::vector<std::string>{"body", "body", "body"}));
  EXPECT_EQ(ExportMetrics(Signal::kTraces).retries.Value() - retries, 2u);
  EXPECT_EQ(Failures(FailureKind::kUnavailable) - unavailable, 1u);
}

TEST(ExporterTest, FinalAnswersAreNeverRetried) {
  Harness h;
  h.transport->Script({AttemptResult::Failed(Outcome::kFinal, FailureKind::kRejected, "HTTP 400")});
  uint64_t rejected = Failures(FailureKind::kRejected);
  auto r = h.exporter->Export("body", MonotonicNanos() + 5000 * kMs);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.failure, FailureKind::kRejected);
  EXPECT_EQ(Failures(FailureKind::kRejected) - rejected, 1u);
}

TEST(ExporterTest, HonoursTheServersDelay) {
  Harness h;
  h.transport->Script({Retryable(FailureKind::kUnavailable, 300)});
  int64_t start = MonotonicNanos();
  auto r = h.exporter->Export("body", MonotonicNanos() + 5000 * kMs);
  int64_t elapsed = MonotonicNanos() - start;
  EXPECT_TRUE(r.delivered);
  EXPECT_GE(elapsed, 300 * kMs);
  EXPECT_LT(elapsed, 2000 * kMs);
}

TEST(ExporterTest, GivesUpAtOnceWhenTheServersDelayEndsPastTheDeadline) {
  Harness h;
  h.transport->Script({Retryable(FailureKind::kThrottled, 60'000)});
  int64_t start = MonotonicNanos();
  auto r = h.exporter->Export("body", MonotonicNanos() + 1000 * kMs);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_LT(MonotonicNanos() - start, 500 * kMs);
}

TEST(ExporterTest, GivesUpAtTheExportDeadline) {
  Harness h;
  std::vector<AttemptResult> failures(1000, Retryable(FailureKind::kConnection));
  h.transport->Script(failures);
  int64_t start = MonotonicNanos();
  auto r = h.exporter->Export("body", start + 300 * kMs);
  int64_t elapsed = MonotonicNanos() - start;
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.failure, FailureKind::kConnection);
  EXPECT_GT(r.attempts, 3);  // 10, 20, 40, 40... ms of backoff
  // It never sleeps past the deadline; waking from its last backoff may be late by the
  // scheduler's delay on a loaded machine (seen: 0.07 ms), hence the slack.
  EXPECT_LE(elapsed, 300 * kMs + 50 * kMs);
  EXPECT_GE(elapsed, 200 * kMs);
}

TEST(ExporterTest, AbortEndsARetryWaitAndAStalledRequest) {
  Harness h({.initial_backoff_ms = 10'000, .max_backoff_ms = 10'000});
  h.transport->Script({Retryable(FailureKind::kUnavailable)});
  std::thread aborter([&] {
    h.transport->WaitFor([](const auto& b) { return !b.empty(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    h.exporter->Abort();
  });
  int64_t start = MonotonicNanos();
  auto r = h.exporter->Export("body", start + 60'000 * kMs);
  aborter.join();
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.failure, FailureKind::kCancelled);
  EXPECT_LT(MonotonicNanos() - start, 2000 * kMs);
  r = h.exporter->Export("body", MonotonicNanos() + 60'000 * kMs);  // later ones end at once
  EXPECT_EQ(r.failure, FailureKind::kCancelled);
}

TEST(ExporterTest, PartialSuccessIsASuccessWithRejections) {
  Harness h;
  AttemptResult partial;
  partial.partial = {.rejected = 2, .error_message = "2 spans had no name"};
  h.transport->Script({partial});
  auto r = h.exporter->Export("body", MonotonicNanos() + 5000 * kMs);
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.rejected, 2);
  EXPECT_EQ(r.attempts, 1);
}

}  // namespace
}  // namespace dynobs::otlp
