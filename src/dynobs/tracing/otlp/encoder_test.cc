#include "dynobs/tracing/otlp/encoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dynobs/logging/record.h"

namespace dynobs::otlp {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}
std::string Fixed64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

tracing::SpanData SmallSpan() {
  tracing::SpanData s;
  for (int i = 0; i < 16; ++i) s.trace_id.bytes[i] = static_cast<uint8_t>(i + 1);
  for (int i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<uint8_t>(0x11 + i);
  s.trace_flags = 1;
  s.name = "a";
  s.kind = tracing::SpanKind::kServer;
  s.start_unix_nanos = 1;
  s.end_unix_nanos = 2;
  return s;
}

Resource ServiceS() { return Resource{{{"service.name", "s"}}}; }

// Resource{attributes: [service.name = "s"]} as field 1 of its parent: 23 bytes.
std::string ResourceField() {
  std::string kv = Bytes({0x0a, 12}) + "service.name" + Bytes({0x12, 3, 0x0a, 1, 's'});
  std::string resource = Bytes({0x0a, static_cast<int>(kv.size())}) + kv;
  return Bytes({0x0a, static_cast<int>(resource.size())}) + resource;
}

TEST(TraceEncoderTest, SmallSpanIsByteExact) {
  std::string span = Bytes({0x0a, 16});  // trace_id
  for (int i = 1; i <= 16; ++i) span.push_back(static_cast<char>(i));
  span += Bytes({0x12, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18});  // span_id
  span += Bytes({0x2a, 1, 'a'});                                             // name
  span += Bytes({0x30, 2});                                                  // kind SERVER
  span += Bytes({0x39}) + Fixed64(1) + Bytes({0x41}) + Fixed64(2);           // times
  span += Bytes({0x85, 0x01, 0x01, 0x01, 0x00, 0x00});  // flags: sampled | HAS_IS_REMOTE
  ASSERT_EQ(span.size(), 57u);
  std::string scope_spans = Bytes({0x0a, 3, 0x0a, 1, 's'}) + Bytes({0x12, 57}) + span;
  std::string resource_spans =
      ResourceField() + Bytes({0x12, static_cast<int>(scope_spans.size())}) + scope_spans;
  std::string request = Bytes({0x0a, static_cast<int>(resource_spans.size())}) + resource_spans;
  ASSERT_EQ(request.size(), 91u);

  std::vector<tracing::SpanData> spans{SmallSpan()};
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeProto(spans, &out);
  EXPECT_EQ(out, request);
}

TEST(TraceEncoderTest, ParentTraceStateStatusAndRemoteFlag) {
  tracing::SpanData s = SmallSpan();
  s.parent_span_id.bytes[7] = 9;
  s.parent_is_remote = true;
  s.trace_state = "k=v";
  s.status_code = tracing::StatusCode::kError;
  s.status_message = "e";
  std::vector<tracing::SpanData> spans{s};
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeProto(spans, &out);
  EXPECT_NE(out.find(Bytes({0x1a, 3, 'k', '=', 'v'})), std::string::npos);              // state
  EXPECT_NE(out.find(Bytes({0x22, 8, 0, 0, 0, 0, 0, 0, 0, 9})), std::string::npos);     // parent
  EXPECT_NE(out.find(Bytes({0x7a, 5, 0x12, 1, 'e', 0x18, 2})), std::string::npos);      // status
  EXPECT_NE(out.find(Bytes({0x85, 0x01, 0x01, 0x03, 0x00, 0x00})), std::string::npos);  // flags
}

TEST(TraceEncoderTest, AttributesAndEvents) {
  tracing::SpanData s = SmallSpan();
  s.attributes.push_back({"i", {.kind = tracing::AttributeValue::Kind::kInt, .i = 5}});
  s.attributes.push_back({"b", {.kind = tracing::AttributeValue::Kind::kBool, .b = true}});
  s.attributes.push_back({"d", {.kind = tracing::AttributeValue::Kind::kDouble, .d = 1.0}});
  s.events.push_back({"ev", 3, {{"s", {.s = "x"}}}});
  std::vector<tracing::SpanData> spans{s};
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeProto(spans, &out);
  EXPECT_NE(out.find(Bytes({0x4a, 7, 0x0a, 1, 'i', 0x12, 0x02, 0x18, 5})), std::string::npos);
  EXPECT_NE(out.find(Bytes({0x4a, 7, 0x0a, 1, 'b', 0x12, 0x02, 0x10, 1})), std::string::npos);
  EXPECT_NE(out.find(Bytes({0x4a, 14, 0x0a, 1, 'd', 0x12, 9, 0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f})),
            std::string::npos);
  std::string event = Bytes({0x09}) + Fixed64(3) + Bytes({0x12, 2, 'e', 'v'}) +
                      Bytes({0x1a, 8, 0x0a, 1, 's', 0x12, 3, 0x0a, 1, 'x'});
  EXPECT_NE(out.find(Bytes({0x5a, static_cast<int>(event.size())}) + event), std::string::npos);
}

TEST(TraceEncoderTest, DroppedCounts) {
  tracing::SpanData s = SmallSpan();
  s.dropped_attributes_count = 3;
  s.dropped_events_count = 200;
  std::vector<tracing::SpanData> spans{s};
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeProto(spans, &out);
  EXPECT_NE(out.find(Bytes({0x50, 3})), std::string::npos);           // field 10, varint
  EXPECT_NE(out.find(Bytes({0x60, 0xc8, 0x01})), std::string::npos);  // field 12, varint 200
  out.clear();
  TraceEncoder(ServiceS(), "s").EncodeJson(spans, &out);
  EXPECT_NE(out.find(",\"droppedAttributesCount\":3,"), std::string::npos);
  EXPECT_NE(out.find(",\"droppedEventsCount\":200"), std::string::npos);
}

TEST(TraceEncoderTest, EmptyBatchIsAnEmptyRequest) {
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeProto({}, &out);
  EXPECT_EQ(out, "");
  TraceEncoder(ServiceS(), "s").EncodeJson({}, &out);
  EXPECT_EQ(out, "{\"resourceSpans\":[]}");
}

TEST(TraceEncoderTest, JsonUsesHexIdsStringInt64AndIntegerEnums) {
  tracing::SpanData s = SmallSpan();
  s.parent_span_id.bytes[0] = 0xab;
  s.attributes.push_back({"n", {.kind = tracing::AttributeValue::Kind::kInt, .i = 7}});
  s.status_code = tracing::StatusCode::kOk;
  std::vector<tracing::SpanData> spans{s};
  std::string out;
  TraceEncoder(ServiceS(), "s").EncodeJson(spans, &out);
  EXPECT_EQ(out,
            "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
            "\"value\":{\"stringValue\":\"s\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},"
            "\"spans\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":"
            "\"1112131415161718\",\"parentSpanId\":\"ab00000000000000\",\"flags\":257,"
            "\"name\":\"a\",\"kind\":2,\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\","
            "\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":\"7\"}}],"
            "\"status\":{\"code\":1}}]}]}]}");
}

logging::LogRecord InfoRecord() {
  logging::LogRecord r;
  r.time_unix_nanos = 5;
  r.level = logging::Level::kInfo;
  r.target = "t";
  r.message = "m";
  return r;
}

TEST(LogEncoderTest, SmallRecordIsByteExact) {
  std::string record = Bytes({0x09}) + Fixed64(5);  // time_unix_nano
  record += Bytes({0x10, 9});                       // severity_number INFO
  record += Bytes({0x1a, 4}) + "INFO";              // severity_text
  record += Bytes({0x2a, 3, 0x0a, 1, 'm'});         // body
  record += Bytes({0x59}) + Fixed64(6);             // observed_time_unix_nano
  ASSERT_EQ(record.size(), 31u);
  std::string scope_logs = Bytes({0x0a, 3, 0x0a, 1, 't', 0x12, 31}) + record;
  std::string resource_logs =
      ResourceField() + Bytes({0x12, static_cast<int>(scope_logs.size())}) + scope_logs;
  std::string request = Bytes({0x0a, static_cast<int>(resource_logs.size())}) + resource_logs;

  std::vector<LogData> records{LogData(InfoRecord(), 6)};
  std::string out;
  LogEncoder(ServiceS()).EncodeProto(records, &out);
  EXPECT_EQ(out, request);
}

TEST(LogEncoderTest, FieldsCallSiteAndSpanIds) {
  logging::LogRecord r = InfoRecord();
  r.level = logging::Level::kError;
  r.file = "f.cc";
  r.line = 12;
  logging::Field fields[] = {{"k", "v"}, {"big", uint64_t{18446744073709551615ULL}}};
  r.fields = fields;
  logging::SpanInfo span;
  span.trace_id[15] = 1;
  span.span_id[7] = 2;
  r.span = &span;
  std::vector<LogData> records{LogData(r, 6)};
  std::string out;
  LogEncoder(ServiceS()).EncodeJson(records, &out);
  EXPECT_EQ(out,
            "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
            "\"value\":{\"stringValue\":\"s\"}}]},\"scopeLogs\":[{\"scope\":{\"name\":\"t\"},"
            "\"logRecords\":[{\"timeUnixNano\":\"5\",\"observedTimeUnixNano\":\"6\","
            "\"severityNumber\":17,\"severityText\":\"ERROR\",\"body\":{\"stringValue\":\"m\"},"
            "\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"v\"}},{\"key\":\"big\","
            "\"value\":{\"stringValue\":\"18446744073709551615\"}},{\"key\":\"code.file.path\","
            "\"value\":{\"stringValue\":\"f.cc\"}},{\"key\":\"code.line.number\",\"value\":"
            "{\"intValue\":\"12\"}}],\"traceId\":\"00000000000000000000000000000001\","
            "\"spanId\":\"0000000000000002\"}]}]}]}");
  std::string proto;
  LogEncoder(ServiceS()).EncodeProto(records, &proto);
  EXPECT_NE(proto.find(Bytes({0x10, 17})), std::string::npos);
  EXPECT_NE(proto.find(Bytes({0x4a, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})),
            std::string::npos);
  EXPECT_NE(proto.find(Bytes({0x52, 8, 0, 0, 0, 0, 0, 0, 0, 2})), std::string::npos);
}

TEST(LogEncoderTest, OneScopePerTargetInOrderOfFirstAppearance) {
  std::vector<LogData> records;
  for (const char* target : {"b", "a", "b", "c", "a"}) {
    logging::LogRecord r = InfoRecord();
    r.target = target;
    records.emplace_back(r, 6);
  }
  std::string out;
  LogEncoder(ServiceS()).EncodeJson(records, &out);
  size_t b = out.find("\"scope\":{\"name\":\"b\"}");
  size_t a = out.find("\"scope\":{\"name\":\"a\"}");
  size_t c = out.find("\"scope\":{\"name\":\"c\"}");
  ASSERT_NE(b, std::string::npos);
  EXPECT_LT(b, a);
  EXPECT_LT(a, c);
  EXPECT_EQ(out.find("\"scope\":{\"name\":\"b\"}", b + 1), std::string::npos);
}

TEST(LogDataTest, MissingTimesFallBackOnEachOther) {
  logging::LogRecord r = InfoRecord();
  r.time_unix_nanos = 0;
  LogData d(r, 7);
  EXPECT_EQ(d.time_unix_nanos, 7);
  EXPECT_EQ(d.observed_unix_nanos, 7);
  r.time_unix_nanos = 9;
  LogData e(r, 0);
  EXPECT_EQ(e.observed_unix_nanos, 9);
  r.time_unix_nanos = 0;
  LogData f(r, 0);
  EXPECT_GT(f.time_unix_nanos, 1'600'000'000'000'000'000);  // now
  EXPECT_EQ(f.observed_unix_nanos, f.time_unix_nanos);
}

TEST(LogDataTest, SpanIdsOnlyWhenBothAreSet) {
  logging::LogRecord r = InfoRecord();
  logging::SpanInfo span;
  span.trace_id[0] = 1;  // span id all zero
  r.span = &span;
  EXPECT_FALSE(LogData(r, 1).in_span);
  span.span_id[0] = 2;
  EXPECT_TRUE(LogData(r, 1).in_span);
}

TEST(LogEncoderTest, SeverityNumbers) {
  EXPECT_EQ(SeverityNumber(logging::Level::kError), 17);
  EXPECT_EQ(SeverityNumber(logging::Level::kWarn), 13);
  EXPECT_EQ(SeverityNumber(logging::Level::kInfo), 9);
  EXPECT_EQ(SeverityNumber(logging::Level::kDebug), 5);
  EXPECT_EQ(SeverityNumber(logging::Level::kTrace), 1);
}

}  // namespace
}  // namespace dynobs::otlp
