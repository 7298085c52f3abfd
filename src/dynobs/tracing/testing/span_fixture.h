#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "dynobs/logging/record.h"
#include "dynobs/tracing/testing/recording_processor.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::tracing::testing {

// One span lifecycle record (SPAN_FIRST_ENTRY, SPAN_CLOSED) as the logger wrote it.
struct SpanEventRecord {
  std::string message;
  std::string span_name;
  logging::Level level = logging::Level::kInfo;
  int64_t busy_us = -1;  // SPAN_CLOSED's time.busy_us
  int64_t idle_us = -1;  // SPAN_CLOSED's time.idle_us
};

// A fixture for span tests: the tracer configured with a RecordingProcessor, the log filter and
// span events under the test's control, and the span lifecycle records the logger writes
// collected through a record sink. Restores the defaults afterwards.
class SpanTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Configures the tracer with `sampler` and this fixture's processor (or none).
  void UseSampler(const Sampler& sampler, bool with_processor = true);
  // Installs a log filter built from DYN_LOG-style directives.
  static void SetDirectives(std::string_view dyn_log);
  static void SetSpanEvents(bool on);
  std::vector<SpanEventRecord> TakeSpanEvents();

  RecordingProcessor processor_;

 private:
  class Sink : public logging::RecordSink {
   public:
    void OnRecord(const logging::LogRecord& record) override;
    std::mutex mu;
    std::vector<SpanEventRecord> events;
  };

  Sink sink_;
};

}  // namespace dynobs::tracing::testing
