// Exports known spans and log records with dynobs's OTLP exporters, configured from the OTEL_*
// environment like a dynobs process, and prints what it sent (in the shape of the OTLP
// receiver's JSON lines) and its export metrics as one JSON object on stdout. Used by
// otlp_interop_test.py against tests/interop/otlp-receiver.
//
//   otlp_export_fixture send [--extra N]   the known trace, log records, N more spans and records
//   otlp_export_fixture load --seconds S --threads T
//                                          ends spans and logs as fast as T threads can for S
//                                          seconds; reports OnEnd latency, drops and RSS
// Both finish with ForceFlush/Shutdown bounded by --shutdown-ms (default 5000).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "dynobs/common/clock.h"
#include "dynobs/common/json_escape.h"
#include "dynobs/tracing/otlp/otlp_export.h"

namespace {

using dynobs::otlp::OtlpExport;
using dynobs::tracing::Attribute;
using dynobs::tracing::AttributeValue;
using dynobs::tracing::SpanData;
using Kind = AttributeValue::Kind;

struct Args {
  std::string mode;
  int extra = 0;
  int seconds = 3;
  int threads = 2;
  int64_t shutdown_ms = 5000;
};

Args Parse(int argc, char** argv) {
  Args a;
  a.mode = argc > 1 ? argv[1] : "";
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int64_t v = std::stoll(argv[i + 1]);
    if (k == "--extra") a.extra = static_cast<int>(v);
    if (k == "--seconds") a.seconds = static_cast<int>(v);
    if (k == "--threads") a.threads = static_cast<int>(v);
    if (k == "--shutdown-ms") a.shutdown_ms = v;
  }
  return a;
}

// Ids unique per run: the service name (one per run) and a counter, hashed.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t g_seed = 0;
uint64_t g_counter = 0;
void FillId(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = Mix(g_seed ^ Mix(++g_counter));
    std::memcpy(out + i, &v, std::min<size_t>(8, n - i));
  }
}

Attribute Str(std::string k, std::string v) {
  return {std::move(k), {.kind = Kind::kString, .s = std::move(v)}};
}
Attribute Int(std::string k, int64_t v) { return {std::move(k), {.kind = Kind::kInt, .i = v}}; }
Attribute Dbl(std::string k, double v) { return {std::move(k), {.kind = Kind::kDouble, .d = v}}; }
Attribute Bool(std::string k, bool v) { return {std::move(k), {.kind = Kind::kBool, .b = v}}; }

SpanData MakeSpan(const std::string& name, dynobs::tracing::SpanKind kind, const SpanData* parent,
                  int64_t start) {
  SpanData s;
  if (parent != nullptr) {
    s.trace_id = parent->trace_id;
    s.parent_span_id = parent->span_id;
    s.trace_state = parent->trace_state;
  } else {
    FillId(s.trace_id.bytes.data(), 16);
  }
  FillId(s.span_id.bytes.data(), 8);
  s.trace_flags = 1;
  s.name = name;
  s.kind = kind;
  s.start_unix_nanos = start;
  s.end_unix_nanos = start + 1'234'567;
  return s;
}

std::string Hex(const uint8_t* b, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

bool IsZero(const uint8_t* b, size_t n) {
  return std::all_of(b, b + n, [](uint8_t x) { return x == 0; });
}

std::string Quote(std::string_view s) {
  std::string out;
  dynobs::AppendJsonString(out, s);
  return out;
}

// {"k": value, ...} and {"k": "type", ...} as the receiver writes attributes.
void AppendAttributes(std::string& out, const std::vector<Attribute>& attrs) {
  std::string values = "{", types = "{";
  for (size_t i = 0; i < attrs.size(); ++i) {
    const auto& [key, v] = attrs[i];
    std::string sep = i > 0 ? "," : "";
    values += sep + Quote(key) + ":";
    types += sep + Quote(key) + ":";
    switch (v.kind) {
      case Kind::kString:
        values += Quote(v.s), types += "\"string\"";
        break;
      case Kind::kInt:  // the receiver writes integers beyond 2^53 as strings
        values +=
            std::abs(v.i) > (int64_t{1} << 53) ? Quote(std::to_string(v.i)) : std::to_string(v.i);
        types += "\"int\"";
        break;
      case Kind::kDouble:
        values += fmt::format("{}", v.d), types += "\"double\"";
        break;
      case Kind::kBool:
        values += v.b ? "true" : "false", types += "\"bool\"";
        break;
    }
  }
  out += "\"attributes\":" + values + "},\"attributeTypes\":" + types + "}";
}

std::string ExpectedSpan(const SpanData& s) {
  uint32_t flags = s.trace_flags | 0x100u;
  if (s.parent_is_remote) flags |= 0x200u;
  bool root = IsZero(s.parent_span_id.bytes.data(), 8);
  std::string out = fmt::format(
      "{{\"traceId\":\"{}\",\"spanId\":\"{}\",\"parentSpanId\":\"{}\",\"name\":{},\"kind\":{},"
      "\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"flags\":{},\"traceState\":{},"
      "\"status\":{{\"code\":{},\"message\":{}}},\"droppedAttributesCount\":{},"
      "\"droppedEventsCount\":{},",
      Hex(s.trace_id.bytes.data(), 16), Hex(s.span_id.bytes.data(), 8),
      root ? "" : Hex(s.parent_span_id.bytes.data(), 8), Quote(s.name), static_cast<int>(s.kind),
      s.start_unix_nanos, s.end_unix_nanos, flags, Quote(s.trace_state),
      static_cast<int>(s.status_code), Quote(s.status_message), s.dropped_attributes_count,
      s.dropped_events_count);
  AppendAttributes(out, s.attributes);
  out += ",\"events\":[";
  for (size_t i = 0; i < s.events.size(); ++i) {
    if (i > 0) out += ",";
    out += fmt::format("{{\"name\":{},\"timeUnixNano\":\"{}\",", Quote(s.events[i].name),
                       s.events[i].time_unix_nanos);
    AppendAttributes(out, s.events[i].attributes);
    out += "}";
  }
  return out + "]}";
}

// The trace of one request through Dynamo: a frontend request span with a remote parent (from a
// traceparent header), routing, the worker's handling and the engine; plus a separate root.
std::vector<SpanData> KnownSpans(int64_t t0) {
  using dynobs::tracing::SpanKind;
  using dynobs::tracing::StatusCode;
  std::vector<SpanData> spans;
  SpanData remote_parent = MakeSpan("client", SpanKind::kClient, nullptr, t0);
  remote_parent.trace_state = "vendor=abc,other=x%20y";
  SpanData http = MakeSpan("http-request", SpanKind::kServer, &remote_parent, t0 + 1000);
  http.parent_is_remote = true;
  http.attributes = {Str("method", "POST"),
                     Str("uri", "/v1/chat/completions"),
                     Str("version", "HTTP/1.1"),
                     Str("request_id", "6f1f3c5e-4b7c-4e8e-9f00-1a2b3c4d5e6f"),
                     Str("x_request_id", "req \"quoted\" \xe2\x9c\x93"),
                     Int("input_tokens", 128)};
  http.events.push_back({"first_token", t0 + 5000, {Dbl("ttft_ms", 12.5)}});
  http.status_code = StatusCode::kOk;
  SpanData route = MakeSpan("router.route_request", SpanKind::kInternal, &http, t0 + 2000);
  route.attributes = {Str("request_id", "6f1f3c5e"), Int("worker_id", 7587887401212414053LL),
                      Str("router_mode", "round_robin")};
  SpanData handle = MakeSpan("handle_payload", SpanKind::kServer, &route, t0 + 3000);
  handle.attributes = {Str("component", "backend"), Str("endpoint", "generate"),
                       Str("namespace", "dynamo"), Int("instance_id", -42)};
  SpanData engine = MakeSpan("engine.generate", SpanKind::kInternal, &handle, t0 + 4000);
  engine.attributes = {Dbl("ttft_ms", 0.1), Bool("cached", true), Int("output_tokens", 0)};
  engine.status_code = StatusCode::kError;
  engine.status_message = "engine overloaded";
  engine.dropped_attributes_count = 2;  // as the span's limits report them
  engine.dropped_events_count = 1;
  SpanData other = MakeSpan("kv_router.find_matches", SpanKind::kInternal, nullptr, t0 + 6000);
  other.trace_flags = 3;  // sampled | random
  for (auto* s : {&http, &route, &handle, &engine, &other}) spans.push_back(*s);
  return spans;
}

struct KnownLog {
  dynobs::logging::LogRecord record;
  std::string expected_body;
  std::vector<Attribute> expected_attributes;
};

std::string ExpectedLog(const KnownLog& k) {
  const auto& r = k.record;
  static constexpr int kSeverity[] = {0, 17, 13, 9, 5, 1};
  static constexpr const char* kText[] = {"", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
  auto level = static_cast<int>(r.level);
  bool in_span = r.span != nullptr;
  std::string out = fmt::format(
      "{{\"timeUnixNano\":\"{}\",\"observedTimeUnixNano\":\"{}\",\"severityNumber\":{},"
      "\"severityText\":\"{}\",\"body\":{},\"scope\":{},\"traceId\":\"{}\",\"spanId\":\"{}\",",
      r.time_unix_nanos, r.time_unix_nanos, kSeverity[level], kText[level], Quote(k.expected_body),
      Quote(r.target), in_span ? Hex(r.span->trace_id.data(), 16) : "",
      in_span ? Hex(r.span->span_id.data(), 8) : "");
  AppendAttributes(out, k.expected_attributes);
  return out + "}";
}

// Log records of every level and field kind, one inside the request span.
std::vector<KnownLog> KnownLogs(int64_t t0, const dynobs::logging::SpanInfo* span) {
  using dynobs::logging::Field;
  using dynobs::logging::FieldValue;
  using dynobs::logging::Level;
  static const Field kFields[] = {{"status", "success"},
                                  {"latency_ms", int64_t{12}},
                                  {"big", uint64_t{18446744073709551615ULL}},
                                  {"ratio", 0.25},
                                  {"stream", true},
                                  {"payload", FieldValue::Json(R"({"a":1})")}};
  static const Field kSpanFields[] = {{"time.busy_us", uint64_t{10}}};
  std::vector<KnownLog> logs(5);
  auto& done = logs[0];
  done.record = {t0 + 100,
                 Level::kInfo,
                 "dynobs::llm::frontend",
                 "src/dynobs/llm/frontend.cc",
                 42,
                 "request completed",
                 kFields,
                 span};
  done.expected_body = "request completed";
  done.expected_attributes = {Str("status", "success"),
                              Int("latency_ms", 12),
                              Str("big", "18446744073709551615"),
                              Dbl("ratio", 0.25),
                              Bool("stream", true),
                              Str("payload", R"({"a":1})"),
                              Str("code.file.path", "src/dynobs/llm/frontend.cc"),
                              Int("code.line.number", 42)};
  logs[1].record = {t0 + 200, Level::kWarn, "dynobs::runtime", "", 0, "na\xc3\xafve \xe2\x9c\x93"};
  logs[1].expected_body = "na\xc3\xafve \xe2\x9c\x93";
  logs[2].record = {t0 + 300, Level::kError, "dynobs::llm::frontend", "", 0, "bad \xff byte\ttab"};
  logs[2].expected_body = "bad \xef\xbf\xbd byte\ttab";  // invalid UTF-8 repaired
  logs[3].record = {t0 + 400, Level::kDebug, "request_span", "",
                    0,        "SPAN_CLOSED", kSpanFields,    span};
  logs[3].expected_body = "SPAN_CLOSED";
  logs[3].expected_attributes = {Int("time.busy_us", 10)};
  logs[4].record = {t0 + 500, Level::kTrace, "dynobs::runtime", "", 0, ""};
  return logs;
}

int64_t RssKb() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

std::string SignalMetricsJson(dynobs::otlp::Signal signal) {
  const auto& m = dynobs::otlp::ExportMetrics(signal);
  std::string failures;
  for (size_t k = 0; k < dynobs::otlp::kFailureKinds; ++k) {
    failures +=
        fmt::format("{}\"{}\":{}", k > 0 ? "," : "",
                    dynobs::otlp::FailureKindName(static_cast<dynobs::otlp::FailureKind>(k)),
                    m.failures[k].Value());
  }
  return fmt::format(
      "{{\"exported\":{},\"dropped_queue_full\":{},\"dropped_export_failed\":{},"
      "\"dropped_rejected\":{},\"dropped_shutdown\":{},\"retries\":{},\"failures\":{{{}}}}}",
      m.exported.Value(), m.dropped_queue_full.Value(), m.dropped_export_failed.Value(),
      m.dropped_rejected.Value(), m.dropped_shutdown.Value(), m.retries.Value(), failures);
}

std::string MetricsJson() {
  return fmt::format("{{\"traces\":{},\"logs\":{}}}",
                     SignalMetricsJson(dynobs::otlp::Signal::kTraces),
                     SignalMetricsJson(dynobs::otlp::Signal::kLogs));
}

// Flushes, then shuts down within the bound; returns the milliseconds both took.
std::string Finish(OtlpExport& otlp, int64_t shutdown_ms) {
  int64_t start = dynobs::MonotonicNanos();
  bool flushed = otlp.ForceFlush(shutdown_ms);
  int64_t flush_ns = dynobs::MonotonicNanos() - start;
  otlp.Shutdown(shutdown_ms);
  int64_t total_ns = dynobs::MonotonicNanos() - start;
  return fmt::format("\"flush_ok\":{},\"flush_ms\":{},\"finish_ms\":{}", flushed,
                     flush_ns / 1'000'000, total_ns / 1'000'000);
}

void AddExtraSpans(int extra, int64_t t0, const std::string& service,
                   std::vector<SpanData>* spans) {
  for (int i = 0; i < extra; ++i) {
    SpanData s = MakeSpan(fmt::format("extra-{}", i), dynobs::tracing::SpanKind::kInternal, nullptr,
                          t0 + 10'000 + i);
    s.attributes = {Str("a", "1"),
                    Str("b", "2"),
                    Int("i", i),
                    Dbl("d", i / 4.0),
                    Bool("even", i % 2 == 0),
                    Str("service", service)};
    spans->push_back(std::move(s));
  }
}

int Send(const Args& args, OtlpExport& otlp, const std::string& service) {
  int64_t t0 = dynobs::WallNanos();
  std::vector<SpanData> spans = KnownSpans(t0);
  AddExtraSpans(args.extra, t0, service, &spans);
  dynobs::logging::SpanInfo span_info;
  span_info.name = spans[0].name;
  span_info.trace_id = spans[0].trace_id.bytes;
  span_info.span_id = spans[0].span_id.bytes;
  std::vector<KnownLog> logs = KnownLogs(t0, &span_info);
  std::vector<std::string> extra_messages;
  for (int i = 0; i < args.extra; ++i) extra_messages.push_back(fmt::format("extra record {}", i));
  for (int i = 0; i < args.extra; ++i) {
    KnownLog k;
    k.record = {t0 + 1000 + i,    dynobs::logging::Level::kInfo, "fixture::extra", "", 0,
                extra_messages[i]};
    k.expected_body = extra_messages[i];
    logs.push_back(std::move(k));
  }
  std::string out = fmt::format("{{\"service\":{},\"spans\":[", Quote(service));
  for (size_t i = 0; i < spans.size(); ++i) out += (i > 0 ? "," : "") + ExpectedSpan(spans[i]);
  out += "],\"logs\":[";
  for (size_t i = 0; i < logs.size(); ++i) out += (i > 0 ? "," : "") + ExpectedLog(logs[i]);
  out += "],";
  if (otlp.spans) {
    for (auto& s : spans) otlp.spans->OnEnd(std::move(s));
  }
  if (otlp.logs) {
    for (const auto& k : logs) otlp.logs->OnRecord(k.record);
  }
  out += Finish(otlp, args.shutdown_ms);
  out += ",\"metrics\":" + MetricsJson() + "}";
  std::puts(out.c_str());
  return 0;
}

// OnEnd latencies in power-of-two buckets (ns), per thread.
struct Latencies {
  std::array<uint64_t, 64> buckets{};
  uint64_t count = 0;
  uint64_t records = 0;  // log records offered
  int64_t max_ns = 0;
  void Add(int64_t ns) {
    buckets[static_cast<size_t>(64 - __builtin_clzll(static_cast<uint64_t>(ns) | 1))]++;
    ++count;
    max_ns = std::max(max_ns, ns);
  }
  // Upper bound of the bucket holding quantile q.
  [[nodiscard]] int64_t Quantile(double q) const {
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count));
    uint64_t seen = 0;
    for (size_t b = 0; b < buckets.size(); ++b) {
      seen += buckets[b];
      if (seen > rank) return int64_t{1} << b;
    }
    return max_ns;
  }
};

void LoadThread(OtlpExport& otlp, int64_t end_ns, int thread, Latencies* lat) {
  dynobs::logging::Field fields[] = {{"thread", int64_t{thread}}, {"model", "llama"}};
  for (uint64_t n = 0; dynobs::MonotonicNanos() < end_ns; ++n) {
    SpanData s =
        MakeSpan("load", dynobs::tracing::SpanKind::kInternal, nullptr, dynobs::WallNanos());
    s.attributes = {Str("method", "POST"),    Str("uri", "/v1/chat/completions"),
                    Str("model", "llama"),    Int("input_tokens", 100),
                    Int("output_tokens", 20), Int("thread", thread)};
    int64_t start = dynobs::MonotonicNanos();
    if (otlp.spans) otlp.spans->OnEnd(std::move(s));
    lat->Add(dynobs::MonotonicNanos() - start);
    if (otlp.logs && n % 4 == 0) {
      ++lat->records;
      otlp.logs->OnRecord({dynobs::WallNanos(), dynobs::logging::Level::kInfo, "fixture::load", "",
                           0, "load record", fields});
    }
  }
}

int Load(const Args& args, OtlpExport& otlp) {
  int64_t end_ns = dynobs::MonotonicNanos() + int64_t{args.seconds} * 1'000'000'000;
  std::vector<Latencies> lat(static_cast<size_t>(args.threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t) {
    threads.emplace_back(LoadThread, std::ref(otlp), end_ns, t, &lat[static_cast<size_t>(t)]);
  }
  std::vector<int64_t> rss;
  while (dynobs::MonotonicNanos() < end_ns) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    rss.push_back(RssKb());
  }
  for (auto& t : threads) t.join();
  Latencies all;
  for (const auto& l : lat) {
    for (size_t b = 0; b < all.buckets.size(); ++b) all.buckets[b] += l.buckets[b];
    all.count += l.count;
    all.records += l.records;
    all.max_ns = std::max(all.max_ns, l.max_ns);
  }
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kAsan = true;  // ASan's quarantine holds freed memory: RSS is not meaningful
#else
  constexpr bool kAsan = false;
#endif
  std::string out = fmt::format(
      "{{\"asan\":{},\"on_end_calls\":{},\"records_offered\":{},\"on_end_p50_ns\":{},\"on_end_p99_"
      "ns\":{},\"on_end_max_ns\":{},"
      "\"rss_kb\":[{}],",
      kAsan, all.count, all.records, all.Quantile(0.5), all.Quantile(0.99), all.max_ns,
      fmt::join(rss, ","));
  out += Finish(otlp, args.shutdown_ms);
  out += ",\"metrics\":" + MetricsJson() + "}";
  std::puts(out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  auto config = dynobs::otlp::LoadExportConfig(dynobs::env::Reader(dynobs::env::ProcessSource()));
  if (!config.ok()) dynobs::env::ExitWithConfigError(config.status());
  auto otlp = dynobs::otlp::StartOtlpExport(*config);
  if (!otlp.ok()) dynobs::env::ExitWithConfigError(otlp.status());
  g_seed = std::hash<std::string>()(config->service_name) ^ static_cast<uint64_t>(getpid());
  if (args.mode == "send") return Send(args, *otlp, config->service_name);
  if (args.mode == "load") return Load(args, *otlp);
  std::fprintf(stderr,
               "usage: otlp_export_fixture send|load [--extra N] [--seconds S] "
               "[--threads T] [--shutdown-ms MS]\n");
  return 2;
}
