#include "dynobs/logging/format.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dynobs/logging/internal/json.h"

namespace dynobs::logging {
namespace {

// 2026-11-25T03:24:29.123456789Z
constexpr int64_t kTime = 1795577069LL * 1000000000 + 123456789;

LogRecord Record(Level level, std::string_view message, std::span<const Field> fields = {}) {
  LogRecord r;
  r.time_unix_nanos = kTime;
  r.level = level;
  r.target = "dynobs::frontend";
  r.file = "src/dynobs/llm/frontend.cc";
  r.line = 42;
  r.message = message;
  r.fields = fields;
  return r;
}

template <size_t N>
std::array<uint8_t, N> Bytes(std::string_view hex) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

SpanInfo HttpRequestSpan(std::span<const Field> fields) {
  SpanInfo s;
  s.name = "http-request";
  s.target = "request_span";
  s.trace_id = Bytes<16>("80196f3e3a6fdf06d23bb9ada3788518");
  s.span_id = Bytes<8>("f7e487a9d2a6bf38");
  s.fields = fields;
  return s;
}

std::string Jsonl(const LogRecord& r, FormatOptions options = {}) {
  std::string out;
  AppendJsonl(r, options, &out);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_TRUE(internal::IsValidJson(out)) << out;
  return out;
}

std::string Readable(const LogRecord& r, FormatOptions options = {}) {
  std::string out;
  AppendReadable(r, options, &out);
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  return out;
}

// ---- JSONL -----------------------------------------------------------------------------------

TEST(JsonlTest, FixedKeysFirstThenFieldsSorted) {
  const Field fields[] = {{"request_id", "8372eac7-5f43-4d76-beca-0a94cfb311d0"},
                          {"model", "llama"},
                          {"endpoint", "chat_completions"},
                          {"elapsed_ms", uint64_t{12}},
                          {"ok", true},
                          {"ratio", 0.5}};
  EXPECT_EQ(Jsonl(Record(Level::kInfo, "request received", fields)),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"INFO",)"
            R"("file":"src/dynobs/llm/frontend.cc","line":42,"target":"dynobs::frontend",)"
            R"("message":"request received","elapsed_ms":12,"endpoint":"chat_completions",)"
            R"("model":"llama","ok":true,"ratio":0.5,)"
            R"("request_id":"8372eac7-5f43-4d76-beca-0a94cfb311d0"})"
            "\n");
}

TEST(JsonlTest, ReproducesTheSpecExampleLine) {
  const Field span_fields[] = {
      {"method", "POST"}, {"uri", "/v1/chat/completions"}, {"version", "HTTP/1.1"}};
  SpanInfo span = HttpRequestSpan(span_fields);
  span.x_request_id = "8372eac7-5f43-4d76-beca-0a94cfb311d0";
  LogRecord r;
  r.time_unix_nanos = 1761944805397194000;  // 2025-10-31T21:06:45.397194Z
  r.level = Level::kDebug;
  r.file = "/opt/dynamo/lib/runtime/src/pipeline/network/tcp/server.rs";
  r.line = 230;
  r.target = "dynamo_runtime::pipeline::network::tcp::server";
  r.message = "Registering new TcpStream on 10.0.4.65:41959";
  r.span = &span;
  EXPECT_EQ(Jsonl(r),
            R"({"time":"2025-10-31T21:06:45.397194Z","level":"DEBUG","file":"/opt/dynamo/lib/)"
            R"(runtime/src/pipeline/network/tcp/server.rs","line":230,"target":"dynamo_runtime::)"
            R"(pipeline::network::tcp::server","message":"Registering new TcpStream on )"
            R"(10.0.4.65:41959","method":"POST","span_id":"f7e487a9d2a6bf38",)"
            R"("span_name":"http-request","trace_id":"80196f3e3a6fdf06d23bb9ada3788518",)"
            R"("uri":"/v1/chat/completions","version":"HTTP/1.1",)"
            R"("x_request_id":"8372eac7-5f43-4d76-beca-0a94cfb311d0"})"
            "\n");
}

TEST(JsonlTest, SpanFieldsOverwriteEventFieldsAndAreStrings) {
  const Field span_fields[] = {{"model", "from-span"}, {"input_tokens", 42}, {"cached", true}};
  SpanInfo span = HttpRequestSpan(span_fields);
  const Field fields[] = {{"model", "from-event"}, {"status", "success"}, {"trace_id", "mine"}};
  LogRecord r = Record(Level::kInfo, "request completed", fields);
  r.file = "";
  r.line = 0;
  r.span = &span;
  EXPECT_EQ(Jsonl(r),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"INFO","target":"dynobs::frontend",)"
            R"("message":"request completed","cached":"true","input_tokens":"42",)"
            R"("model":"from-span","span_id":"f7e487a9d2a6bf38","span_name":"http-request",)"
            R"("status":"success","trace_id":"80196f3e3a6fdf06d23bb9ada3788518"})"
            "\n");
}

TEST(JsonlTest, SpanContextKeysOnlyWhenPresent) {
  SpanInfo span = HttpRequestSpan({});
  span.parent_id = Bytes<8>("00f067aa0ba902b7");
  span.tracestate = "congo=t61rcWkgMzE";
  span.x_request_id = "abc";
  span.request_id = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  LogRecord r = Record(Level::kInfo, "m");
  r.span = &span;
  std::string line = Jsonl(r);
  EXPECT_NE(line.find(R"("parent_id":"00f067aa0ba902b7")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("tracestate":"congo=t61rcWkgMzE")"), std::string::npos);
  EXPECT_NE(line.find(R"("request_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8")"), std::string::npos);
  EXPECT_NE(line.find(R"("x_request_id":"abc"})"), std::string::npos);

  SpanInfo bare = HttpRequestSpan({});
  r.span = &bare;
  line = Jsonl(r);
  for (const char* key : {"parent_id", "tracestate", "x_request_id", "request_id"}) {
    EXPECT_EQ(line.find(key), std::string::npos) << key;
  }
}

TEST(JsonlTest, ContextValuesAreNeverEmbeddedAsJson) {
  SpanInfo span = HttpRequestSpan({});
  span.x_request_id = "123";  // a client's x-request-id that happens to be a number
  LogRecord r = Record(Level::kInfo, "m");
  r.span = &span;
  EXPECT_NE(Jsonl(r).find(R"("x_request_id":"123")"), std::string::npos);
}

TEST(JsonlTest, OutsideASpanContextFieldsAreRemoved) {
  const Field fields[] = {{"trace_id", "t"},   {"span_id", "s"},     {"parent_id", "p"},
                          {"span_name", "n"},  {"tracestate", "ts"}, {"x_request_id", "x"},
                          {"request_id", "r"}, {"keep", 1}};
  EXPECT_EQ(Jsonl(Record(Level::kWarn, "m", fields)),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"WARN",)"
            R"("file":"src/dynobs/llm/frontend.cc","line":42,"target":"dynobs::frontend",)"
            R"("message":"m","keep":1,"request_id":"r","x_request_id":"x"})"
            "\n");
}

TEST(JsonlTest, StringsThatAreJsonAreEmbedded) {
  const Field fields[] = {{"a_word", "hello"},
                          {"b_number", "42"},
                          {"c_object", "{\"a\": 1}"},
                          {"d_array", "[1, \"two\"]"},
                          {"e_bool", "true"},
                          {"f_null", "null"},
                          {"g_pretty", "{\n  \"k\": [1,\n 2]\n}"},
                          {"h_json", FieldValue::Json("{\"x\":[1]}")},
                          {"i_bad_json", FieldValue::Json("{oops")},
                          {"j_empty", ""},
                          {"k_quoted", "\"already a JSON string\""},
                          {"l_uuid", "8372eac7-5f43-4d76-beca-0a94cfb311d0"}};
  LogRecord r = Record(Level::kInfo, "m", fields);
  r.file = "";
  r.line = 0;
  EXPECT_EQ(Jsonl(r),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"INFO","target":"dynobs::frontend",)"
            R"("message":"m","a_word":"hello","b_number":42,"c_object":{"a":1},)"
            R"("d_array":[1,"two"],"e_bool":true,"f_null":null,"g_pretty":{"k":[1,2]},)"
            R"("h_json":{"x":[1]},"i_bad_json":"{oops","j_empty":"",)"
            R"("k_quoted":"already a JSON string",)"
            R"("l_uuid":"8372eac7-5f43-4d76-beca-0a94cfb311d0"})"
            "\n");
}

TEST(JsonlTest, NumbersIncludingNanAndExtremes) {
  const Field fields[] = {{"a", std::numeric_limits<double>::quiet_NaN()},
                          {"b", std::numeric_limits<double>::infinity()},
                          {"c", -std::numeric_limits<double>::infinity()},
                          {"d", std::numeric_limits<int64_t>::min()},
                          {"e", std::numeric_limits<uint64_t>::max()},
                          {"f", 2.0},
                          {"g", -1},
                          {"h", false}};
  LogRecord r = Record(Level::kTrace, "m", fields);
  r.file = "";
  r.line = 0;
  EXPECT_EQ(Jsonl(r),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"TRACE","target":"dynobs::frontend",)"
            R"("message":"m","a":0,"b":0,"c":0,"d":-9223372036854775808,)"
            R"("e":18446744073709551615,"f":2.0,"g":-1,"h":false})"
            "\n");
}

TEST(JsonlTest, EscapesTextAndReplacesInvalidUtf8) {
  const Field fields[] = {{"we\"ird\nkey", "tab\there \x01 \xff end"},
                          {"unicode", "caf\xc3\xa9 \xf0\x9f\x98\x80"}};
  LogRecord r = Record(Level::kError, "line one\nline \"two\" \\ \x7f", fields);
  r.target = "t";
  r.file = "";
  r.line = 0;
  EXPECT_EQ(Jsonl(r), R"({"time":"2026-11-25T03:24:29.123456Z","level":"ERROR","target":"t",)"
                      R"("message":"line one\nline \"two\" \\ )"
                      "\x7f"
                      R"(","unicode":"caf)"
                      "\xc3\xa9 \xf0\x9f\x98\x80"
                      R"(","we\"ird\nkey":"tab\there \u0001 )"
                      "\xef\xbf\xbd"
                      R"( end"})"
                      "\n");
}

TEST(JsonlTest, FieldsNamedLikeFixedKeysAreRenamedAndLastDuplicateWins) {
  const Field fields[] = {{"message", "shadow"}, {"level", 1}, {"dup", 1}, {"dup", 2}};
  LogRecord r = Record(Level::kInfo, "real", fields);
  r.file = "";
  r.line = 0;
  EXPECT_EQ(Jsonl(r),
            R"({"time":"2026-11-25T03:24:29.123456Z","level":"INFO","target":"dynobs::frontend",)"
            R"("message":"real","dup":2,"fields.level":1,"fields.message":"shadow"})"
            "\n");
}

TEST(JsonlTest, SortsBytewise) {
  const Field fields[] = {{"a_b", 1}, {"a.b", 2}, {"B", 3}, {"a", 4}, {"time.busy_us", 5}};
  LogRecord r = Record(Level::kInfo, "m", fields);
  r.file = "";
  r.line = 0;
  std::string line = Jsonl(r);
  EXPECT_NE(line.find(R"("B":3,"a":4,"a.b":2,"a_b":1,"time.busy_us":5})"), std::string::npos)
      << line;
}

TEST(JsonlTest, RedactsSecretsInEventAndSpanFields) {
  const Field span_fields[] = {{"Cookie", "session=abc"}};
  SpanInfo span = HttpRequestSpan(span_fields);
  const Field fields[] = {{"authorization", "Bearer sk-123"}, {"hf_token", "hf_abc"}};
  LogRecord r = Record(Level::kInfo, "m", fields);
  r.span = &span;
  std::string line = Jsonl(r);
  EXPECT_NE(line.find(R"("Cookie":"[REDACTED]")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("authorization":"[REDACTED]")"), std::string::npos);
  EXPECT_NE(line.find(R"("hf_token":"[REDACTED]")"), std::string::npos);
  for (const char* secret : {"session=abc", "sk-123", "hf_abc"}) {
    EXPECT_EQ(line.find(secret), std::string::npos) << secret;
  }
}

// ---- readable --------------------------------------------------------------------------------

TEST(ReadableTest, CompactShape) {
  const Field fields[] = {
      {"request_id", "8372eac7"}, {"elapsed_ms", uint64_t{12}}, {"ok", true}, {"ratio", 0.5}};
  EXPECT_EQ(Readable(Record(Level::kInfo, "request completed", fields)),
            "2026-11-25T03:24:29.123456Z  INFO dynobs::frontend: request completed "
            "request_id=8372eac7 elapsed_ms=12 ok=true ratio=0.5\n");
  EXPECT_EQ(Readable(Record(Level::kError, "boom")),
            "2026-11-25T03:24:29.123456Z ERROR dynobs::frontend: boom\n");
  EXPECT_EQ(Readable(Record(Level::kWarn, "w")),
            "2026-11-25T03:24:29.123456Z  WARN dynobs::frontend: w\n");
  EXPECT_EQ(Readable(Record(Level::kDebug, "d")),
            "2026-11-25T03:24:29.123456Z DEBUG dynobs::frontend: d\n");
  EXPECT_EQ(Readable(Record(Level::kTrace, "t")),
            "2026-11-25T03:24:29.123456Z TRACE dynobs::frontend: t\n");
}

TEST(ReadableTest, SpanNameBeforeTargetAndSpanFieldsAfterEventFields) {
  const Field span_fields[] = {{"method", "POST"}, {"uri", "/v1/chat/completions"}};
  SpanInfo span = HttpRequestSpan(span_fields);
  const Field fields[] = {{"request_id", "r1"}};
  LogRecord r = Record(Level::kInfo, "request received", fields);
  r.span = &span;
  EXPECT_EQ(Readable(r),
            "2026-11-25T03:24:29.123456Z  INFO http-request: dynobs::frontend: request received "
            "request_id=r1 method=POST uri=/v1/chat/completions\n");
}

TEST(ReadableTest, ASpanFieldTheEventAlsoHasIsShownOnce) {
  const Field span_fields[] = {{"request_id", "r1"}, {"endpoint", "generate"}};
  SpanInfo span = HttpRequestSpan(span_fields);
  const Field fields[] = {{"request_id", "r1"}};
  LogRecord r = Record(Level::kInfo, "request received", fields);
  r.span = &span;
  EXPECT_EQ(Readable(r),
            "2026-11-25T03:24:29.123456Z  INFO http-request: dynobs::frontend: request received "
            "request_id=r1 endpoint=generate\n");
}

TEST(ReadableTest, QuotesWhenNeededAndEscapesControls) {
  const Field fields[] = {{"a", "two words"},
                          {"b", ""},
                          {"c", "say \"hi\""},
                          {"d", "k=v"},
                          {"e", "multi\nline"},
                          {"f", FieldValue::Json("{\"x\": [1, 2]}")},
                          {"g", std::numeric_limits<double>::quiet_NaN()},
                          {"h", "\xff"},
                          {"password", "hunter2"}};
  EXPECT_EQ(Readable(Record(Level::kInfo, "a\nb\tc\x01", fields)),
            "2026-11-25T03:24:29.123456Z  INFO dynobs::frontend: a\\nb\\tc\\u0001 "
            "a=\"two words\" b=\"\" c=\"say \\\"hi\\\"\" d=\"k=v\" e=multi\\nline f={\"x\":[1,2]} "
            "g=NaN h=\xef\xbf\xbd password=[REDACTED]\n");
}

TEST(ReadableTest, ColoursOnlyTheLevel) {
  FormatOptions ansi{.ansi = true};
  EXPECT_EQ(Readable(Record(Level::kInfo, "m"), ansi),
            "2026-11-25T03:24:29.123456Z \x1b[32m INFO\x1b[0m dynobs::frontend: m\n");
  EXPECT_EQ(Readable(Record(Level::kError, "m"), ansi),
            "2026-11-25T03:24:29.123456Z \x1b[31mERROR\x1b[0m dynobs::frontend: m\n");
  EXPECT_EQ(Readable(Record(Level::kWarn, "m"), ansi).substr(28, 14), "\x1b[33m WARN\x1b[0m");
  EXPECT_EQ(Readable(Record(Level::kDebug, "m"), ansi).substr(28, 14), "\x1b[34mDEBUG\x1b[0m");
  EXPECT_EQ(Readable(Record(Level::kTrace, "m"), ansi).substr(28, 14), "\x1b[35mTRACE\x1b[0m");
}

// ---- time ------------------------------------------------------------------------------------

std::string Time(int64_t nanos, bool local) {
  std::string out;
  AppendTimestamp(nanos, local, &out);
  return out;
}

TEST(TimestampTest, UtcWithMicroseconds) {
  EXPECT_EQ(Time(kTime, false), "2026-11-25T03:24:29.123456Z");
  EXPECT_EQ(Time(0, false), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Time(999, false), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Time(1000, false), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(Time(-1000, false), "1969-12-31T23:59:59.999999Z");
}

TEST(TimestampTest, LocalTimeWithOffset) {
  const char* saved = getenv("TZ");
  std::string saved_tz = saved != nullptr ? saved : "";
  // Each case uses its own second: the date and offset are cached per second.
  setenv("TZ", "<+02>-2", 1);
  tzset();
  EXPECT_EQ(Time(kTime, true), "2026-11-25T05:24:29.123456+02:00");
  setenv("TZ", "<-0530>5:30", 1);
  tzset();
  EXPECT_EQ(Time(kTime + 1000000000, true), "2026-11-24T21:54:30.123456-05:30");
  setenv("TZ", "UTC0", 1);
  tzset();
  EXPECT_EQ(Time(kTime + 2000000000, true), "2026-11-25T03:24:31.123456+00:00");
  if (saved != nullptr) {
    setenv("TZ", saved_tz.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(TimestampTest, JsonlAndReadableUseTheLocalTimeOption) {
  setenv("TZ", "<+02>-2", 1);
  tzset();
  LogRecord r = Record(Level::kInfo, "m");
  r.time_unix_nanos = kTime + 5000000000;
  EXPECT_EQ(Jsonl(r, {.local_time = true}).substr(0, 43),
            R"({"time":"2026-11-25T05:24:34.123456+02:00",)");
  EXPECT_EQ(Readable(r, {.local_time = true}).substr(0, 33), "2026-11-25T05:24:34.123456+02:00 ");
  unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace dynobs::logging
