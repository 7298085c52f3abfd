#include "dynobs/tracing/testing/span_fixture.h"

#include <utility>

#include "dynobs/logging/filter.h"
#include "dynobs/logging/span_events.h"

namespace dynobs::tracing::testing {

void SpanTest::SetUp() {
  SetDirectives("info");
  SetSpanEvents(false);
  logging::AddRecordSink(&sink_);
  UseSampler(Sampler());
}

void SpanTest::TearDown() {
  logging::RemoveRecordSink(&sink_);
  TracerProvider::Configure(TracerOptions{});
  SetSpanEvents(false);
  SetDirectives("info");
}

void SpanTest::UseSampler(const Sampler& sampler, bool with_processor) {
  TracerProvider::Configure(TracerOptions{.sampler = sampler,
                                          .processor = with_processor ? &processor_ : nullptr,
                                          .service_name = "test"});
}

void SpanTest::SetDirectives(std::string_view dyn_log) {
  std::vector<std::string> problems;
  auto directives = logging::ParseDirectives(dyn_log, &problems);
  ASSERT_TRUE(problems.empty()) << problems.front();
  logging::SetFilter(logging::Filter::Build(directives, logging::SpanEventsEnabled()));
}

void SpanTest::SetSpanEvents(bool on) { logging::SetSpanEventsEnabled(on); }

std::vector<SpanEventRecord> SpanTest::TakeSpanEvents() {
  std::lock_guard lock(sink_.mu);
  return std::exchange(sink_.events, {});
}

void SpanTest::Sink::OnRecord(const logging::LogRecord& record) {
  if (record.message != "SPAN_FIRST_ENTRY" && record.message != "SPAN_CLOSED") return;
  SpanEventRecord e{std::string(record.message),
                    record.span != nullptr ? std::string(record.span->name) : "", record.level};
  for (const auto& f : record.fields) {
    if (f.key == "time.busy_us") e.busy_us = f.value.as_int();
    if (f.key == "time.idle_us") e.idle_us = f.value.as_int();
  }
  std::lock_guard lock(mu);
  events.push_back(std::move(e));
}

}  // namespace dynobs::tracing::testing
