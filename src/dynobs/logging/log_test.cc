#include "dynobs/logging/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dynobs/logging/internal/json.h"
#include "dynobs/logging/internal/log_capture_for_test.h"
#include "dynobs/logging/span_events.h"
#include "dynobs/metrics/diagnostics.h"

namespace dynobs::logging {
namespace {

using internal::LogCapture;

constexpr const char* kTarget = "dynobs::log_test";

bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

LoggingConfig Config(std::map<std::string, std::string, std::less<>> env) {
  auto c = LoadLoggingConfig(env::Reader(env::MapSource(std::move(env))));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(LogTest, MacroWritesOneJsonlLineWithCallSite) {
  LogCapture capture;
  int line = __LINE__ + 1;
  DYNOBS_LOG(kInfo, kTarget, "worker started", {"worker_id", "7f3a"}, {"pid", 1234});
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string& l = lines[0];
  EXPECT_TRUE(internal::IsValidJson(l)) << l;
  EXPECT_EQ(l.substr(0, 9), R"({"time":")");
  EXPECT_TRUE(Contains(l, R"(Z","level":"INFO","file":")")) << l;
  EXPECT_TRUE(Contains(l, "log_test.cc\",\"line\":" + std::to_string(line) +
                              R"(,"target":"dynobs::log_test","message":"worker started",)"
                              R"("pid":1234,"worker_id":"7f3a"})"))
      << l;
}

TEST(LogTest, FilteredStatementsDoNotEvaluateTheirFields) {
  LogCapture capture;
  int evaluated = 0;
  auto costly = [&] {
    ++evaluated;
    return 1;
  };
  DYNOBS_LOG(kDebug, kTarget, "hidden", {"x", costly()});
  DYNOBS_LOG(kWarn, kTarget, "shown", {"x", costly()});
  EXPECT_EQ(evaluated, 1);
  EXPECT_FALSE(DYNOBS_LOG_ENABLED(kDebug, kTarget));
  EXPECT_TRUE(DYNOBS_LOG_ENABLED(kError, kTarget));
  EXPECT_EQ(capture.Lines().size(), 1u);
}

TEST(LogTest, DynLogChangesWhatCallSitesLetThrough) {
  auto log_debug = [] { DYNOBS_LOG(kDebug, kTarget, "debug line"); };
  {
    LogCapture capture(Config({{"DYN_LOGGING_JSONL", "1"}}));
    log_debug();
    EXPECT_TRUE(capture.Lines().empty());
  }
  {
    LogCapture capture(Config({{"DYN_LOGGING_JSONL", "1"}, {"DYN_LOG", "warn,dynobs=debug"}}));
    log_debug();
    EXPECT_EQ(capture.Lines().size(), 1u);
    EXPECT_TRUE(Enabled(Level::kTrace, "request_span"));
    EXPECT_FALSE(Enabled(Level::kInfo, "other"));
  }
}

// Reported even when the filter would hide a WARN of that target.
TEST(LogTest, InvalidDirectiveIsReportedOnceAndSkipped) {
  LogCapture capture(Config(
      {{"DYN_LOGGING_JSONL", "1"}, {"DYN_LOG", "error,dynobs=loud,dynobs::log_test=debug"}}));
  DYNOBS_LOG(kDebug, kTarget, "still applies");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(Contains(lines[0], R"("level":"WARN","target":"dynobs::logging",)")) << lines[0];
  EXPECT_TRUE(Contains(lines[0], R"(ignoring DYN_LOG directive \"dynobs=loud\")")) << lines[0];
  EXPECT_TRUE(Contains(lines[1], "still applies"));
}

TEST(LogTest, ReadableLineInsideASpan) {
  LogCapture capture(Config({}));
  const Field span_fields[] = {{"method", "POST"}};
  SpanInfo span;
  span.name = "http-request";
  span.target = "request_span";
  span.fields = span_fields;
  const SpanInfo* previous = SetCurrentSpan(&span);
  EXPECT_EQ(CurrentSpan(), &span);
  DYNOBS_LOG(kInfo, "dynobs::frontend", "request received", {"request_id", "r-1"});
  SetCurrentSpan(previous);
  DYNOBS_LOG(kInfo, "dynobs::frontend", "outside");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].substr(27),
            "  INFO http-request: dynobs::frontend: request received request_id=r-1 method=POST");
  EXPECT_EQ(lines[1].substr(27), "  INFO dynobs::frontend: outside");
  EXPECT_EQ(lines[0][26], 'Z');
}

TEST(LogTest, JsonlLineCarriesTheCurrentSpan) {
  LogCapture capture;
  SpanInfo span;
  span.name = "handle_payload";
  span.target = "request_span";
  span.trace_id[15] = 1;
  span.span_id[7] = 2;
  span.request_id = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  const SpanInfo* previous = SetCurrentSpan(&span);
  DYNOBS_LOG(kInfo, kTarget, "request received");
  SetCurrentSpan(previous);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Contains(lines[0], R"("message":"request received",)"
                                 R"("request_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8",)"
                                 R"("span_id":"0000000000000002","span_name":"handle_payload",)"
                                 R"("trace_id":"00000000000000000000000000000001"})"))
      << lines[0];
}

class CapturingSink : public RecordSink {
 public:
  void OnRecord(const LogRecord& r) override {
    std::string line = std::string(LevelName(r.level)) + " " + std::string(r.target) + " " +
                       std::string(r.message);
    for (const Field& f : r.fields) {
      line += " " + std::string(f.key) + "=";
      if (f.value.kind() == FieldValue::Kind::kString) line += f.value.as_string();
    }
    lines.push_back(line);
    if (log_from_sink) DYNOBS_LOG(kWarn, kTarget, "logged by the sink");
  }
  std::vector<std::string> lines;
  bool log_from_sink = false;
};

TEST(LogTest, SinksGetRedactedRecordsThatPassTheFilter) {
  LogCapture capture;
  CapturingSink sink;
  AddRecordSink(&sink);
  DYNOBS_LOG(kInfo, kTarget, "headers", {"authorization", "Bearer sk-1"}, {"model", "m"},
             {"prompt", Payload("secret prompt text")});
  DYNOBS_LOG(kDebug, kTarget, "filtered");
  sink.log_from_sink = true;
  DYNOBS_LOG(kError, kTarget, "boom");
  RemoveRecordSink(&sink);
  DYNOBS_LOG(kInfo, kTarget, "after removal");
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0],
            "INFO dynobs::log_test headers authorization=[REDACTED] model=m "
            "prompt=[payload omitted; set DYN_LOG_PAYLOADS=1 to log it]");
  EXPECT_EQ(sink.lines[1], "ERROR dynobs::log_test boom");
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 4u);  // the sink's own record reached the output, not the sink
  EXPECT_TRUE(Contains(lines[0], R"("authorization":"[REDACTED]")"));
  EXPECT_FALSE(Contains(lines[0], "sk-1"));
  EXPECT_FALSE(Contains(lines[0], "secret prompt"));
  EXPECT_TRUE(Contains(lines[2], "logged by the sink"));
}

TEST(LogTest, PayloadsAreLoggedWhenEnabled) {
  LogCapture capture(Config({{"DYN_LOGGING_JSONL", "1"}, {"DYN_LOG_PAYLOADS", "1"}}));
  DYNOBS_LOG(kInfo, kTarget, "prompt", {"prompt", Payload("What is 2+2?")});
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Contains(lines[0], R"("prompt":"What is 2+2?")")) << lines[0];
  SetPayloadsEnabled(false);
}

SpanInfo SystemSpan() {
  SpanInfo span;
  span.name = "http-request";
  span.target = "system_span";
  return span;
}

TEST(LogTest, SpanEventsWhenEnabled) {
  LogCapture capture(Config({{"DYN_LOGGING_JSONL", "1"}, {"DYN_LOGGING_SPAN_EVENTS", "1"}}));
  ASSERT_TRUE(SpanEventsEnabled());
  const Field fields[] = {{"uri", "/v1/models"}};
  SpanInfo span;
  span.name = "http-request";
  span.target = "request_span";
  span.fields = fields;
  EmitSpanFirstEntry(span, Level::kInfo);
  EmitSpanClosed(span, Level::kInfo, 1234567, 89999);
  SpanInfo system = SystemSpan();
  EmitSpanFirstEntry(system, Level::kDebug);  // DEBUG system_span: filtered out at info
  EmitSpanClosed(system, Level::kDebug, 1, 1);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(Contains(lines[0], R"("level":"INFO","target":"request_span",)"
                                 R"("message":"SPAN_FIRST_ENTRY","span_id":"0000000000000000",)"
                                 R"("span_name":"http-request",)"))
      << lines[0];
  EXPECT_TRUE(Contains(lines[1], R"("message":"SPAN_CLOSED",)")) << lines[1];
  EXPECT_TRUE(Contains(lines[1], R"("time.busy_us":1234,"time.duration_us":1323,)"
                                 R"("time.idle_us":89,"trace_id")"))
      << lines[1];
  EXPECT_TRUE(Contains(lines[1], R"("uri":"/v1/models")"));
}

TEST(LogTest, NoSpanEventsWhenDisabled) {
  LogCapture capture;
  EXPECT_FALSE(SpanEventsEnabled());
  SpanInfo span;
  span.name = "http-request";
  span.target = "request_span";
  EmitSpanFirstEntry(span, Level::kInfo);
  EmitSpanClosed(span, Level::kInfo, 1000, 1000);
  EXPECT_TRUE(capture.Lines().empty());
}

TEST(LogTest, MetricsDiagnosticsBecomeRecords) {
  LogCapture capture;
  InstallMetricsDiagnostics();
  metrics::Report(metrics::Severity::kWarn, "metric family reached its series limit",
                  {{"family", "dynamo_x"}, {"limit", "10"}});
  metrics::SetDiagnosticSink(nullptr);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Contains(lines[0], R"("level":"WARN","target":"dynobs::metrics",)"
                                 R"("message":"metric family reached its series limit",)"
                                 R"("family":"dynamo_x","limit":10})"))
      << lines[0];
}

TEST(LogTest, LogChecksTheFilterForBridgedRecords) {
  LogCapture capture;
  const Field fields[] = {{"k", "v"}};
  Log(Level::kDebug, "main.init", "hidden", fields);
  Log(Level::kInfo, "main.init", "shown", fields, "worker.py", 12);
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(Contains(lines[0], R"("file":"worker.py","line":12,"target":"main.init",)"
                                 R"("message":"shown","k":"v"})"))
      << lines[0];
}

}  // namespace
}  // namespace dynobs::logging
