#include <algorithm>
#include <cstdint>
#include <vector>

#include "dynobs/tracing/otlp/encoder.h"
#include "dynobs/tracing/otlp/internal/attributes.h"
#include "dynobs/tracing/otlp/internal/json_writer.h"
#include "dynobs/tracing/otlp/internal/proto_writer.h"

namespace dynobs::otlp {
namespace {

using internal::ProtoWriter;

// Field numbers from opentelemetry-proto (collector/logs/v1, logs/v1, common/v1).
namespace f {
constexpr uint32_t kResourceLogs = 1;  // ExportLogsServiceRequest
constexpr uint32_t kResource = 1;      // ResourceLogs
constexpr uint32_t kScopeLogs = 2;     // ResourceLogs
constexpr uint32_t kScope = 1;         // ScopeLogs
constexpr uint32_t kLogRecords = 2;    // ScopeLogs
constexpr uint32_t kScopeName = 1;     // InstrumentationScope
// LogRecord
constexpr uint32_t kTime = 1;
constexpr uint32_t kSeverityNumber = 2;
constexpr uint32_t kSeverityText = 3;
constexpr uint32_t kBody = 5;
constexpr uint32_t kAttributes = 6;
constexpr uint32_t kTraceId = 9;
constexpr uint32_t kSpanId = 10;
constexpr uint32_t kObservedTime = 11;
constexpr uint32_t kStringValue = 1;  // AnyValue
}  // namespace f

// Semantic-convention names of the call site (stable since semconv 1.33).
constexpr std::string_view kCodeFilePath = "code.file.path";
constexpr std::string_view kCodeLineNumber = "code.line.number";

// Record indices grouped by target (a stable counting sort), groups in order of first appearance.
// A batch has few distinct targets, so a linear search finds a record's group.
std::vector<uint32_t> GroupByTarget(std::span<const LogData> records) {
  std::vector<std::string_view> targets;
  std::vector<uint32_t> group(records.size());
  std::vector<uint32_t> group_size;
  for (size_t i = 0; i < records.size(); ++i) {
    std::string_view t = records[i].target();
    auto it = std::find(targets.begin(), targets.end(), t);
    group[i] = static_cast<uint32_t>(it - targets.begin());
    if (it == targets.end()) {
      targets.push_back(t);
      group_size.push_back(0);
    }
    ++group_size[group[i]];
  }
  std::vector<uint32_t> next(targets.size(), 0);
  for (size_t g = 1; g < targets.size(); ++g) next[g] = next[g - 1] + group_size[g - 1];
  std::vector<uint32_t> order(records.size());
  for (size_t i = 0; i < records.size(); ++i) order[next[group[i]]++] = static_cast<uint32_t>(i);
  return order;
}

void WriteRecord(ProtoWriter& w, const LogData& r) {
  size_t m = w.BeginMessage(f::kLogRecords);
  w.Fixed64Field(f::kTime, static_cast<uint64_t>(r.time_unix_nanos));
  w.VarintField(f::kSeverityNumber, static_cast<uint64_t>(SeverityNumber(r.level)));
  w.StringField(f::kSeverityText, SeverityText(r.level));
  size_t body = w.BeginMessage(f::kBody);
  w.StringField(f::kStringValue, r.message());
  w.EndMessage(body);
  for (const auto& field : r.fields()) internal::WriteLogField(w, f::kAttributes, r, field);
  if (!r.file().empty()) internal::WriteStringAttribute(w, f::kAttributes, kCodeFilePath, r.file());
  if (r.line > 0) internal::WriteIntAttribute(w, f::kAttributes, kCodeLineNumber, r.line);
  if (r.in_span) {
    w.BytesField(f::kTraceId, r.trace_id.data(), r.trace_id.size());
    w.BytesField(f::kSpanId, r.span_id.data(), r.span_id.size());
  }
  w.Fixed64Field(f::kObservedTime, static_cast<uint64_t>(r.observed_unix_nanos));
  w.EndMessage(m);
}

void AppendJsonRecord(std::string& out, const LogData& r) {
  out += "{\"timeUnixNano\":";
  internal::AppendJsonInt64String(out, r.time_unix_nanos);
  out += ",\"observedTimeUnixNano\":";
  internal::AppendJsonInt64String(out, r.observed_unix_nanos);
  out += ",\"severityNumber\":";
  internal::AppendJsonInt(out, SeverityNumber(r.level));
  out += ",\"severityText\":";
  internal::AppendJsonText(out, SeverityText(r.level));
  out += ",\"body\":{\"stringValue\":";
  internal::AppendJsonText(out, r.message());
  out += "},\"attributes\":[";
  bool first = true;
  auto comma = [&] {
    if (!first) out.push_back(',');
    first = false;
  };
  for (const auto& field : r.fields()) {
    comma();
    internal::AppendJsonLogField(out, r, field);
  }
  if (!r.file().empty()) {
    comma();
    internal::AppendJsonStringAttribute(out, kCodeFilePath, r.file());
  }
  if (r.line > 0) {
    comma();
    internal::AppendJsonIntAttribute(out, kCodeLineNumber, r.line);
  }
  out.push_back(']');
  if (r.in_span) {
    out += ",\"traceId\":";
    internal::AppendJsonHex(out, r.trace_id.data(), r.trace_id.size());
    out += ",\"spanId\":";
    internal::AppendJsonHex(out, r.span_id.data(), r.span_id.size());
  }
  out.push_back('}');
}

}  // namespace

LogEncoder::LogEncoder(const Resource& resource)
    : resource_proto_(internal::ResourceProto(f::kResource, resource)),
      resource_json_(internal::ResourceJson(resource)) {}

void LogEncoder::EncodeProto(std::span<const LogData> records, std::string* out) const {
  if (records.empty()) return;
  std::vector<uint32_t> order = GroupByTarget(records);
  ProtoWriter w(out);
  size_t resource_logs = w.BeginMessage(f::kResourceLogs);
  out->append(resource_proto_);
  for (size_t i = 0; i < order.size();) {
    std::string_view target = records[order[i]].target();
    size_t scope_logs = w.BeginMessage(f::kScopeLogs);
    size_t scope = w.BeginMessage(f::kScope);
    if (!target.empty()) w.StringField(f::kScopeName, target);
    w.EndMessage(scope);
    for (; i < order.size() && records[order[i]].target() == target; ++i) {
      WriteRecord(w, records[order[i]]);
    }
    w.EndMessage(scope_logs);
  }
  w.EndMessage(resource_logs);
}

void LogEncoder::EncodeJson(std::span<const LogData> records, std::string* out) const {
  *out += "{\"resourceLogs\":[";
  if (!records.empty()) {
    std::vector<uint32_t> order = GroupByTarget(records);
    *out += "{";
    *out += resource_json_;
    *out += ",\"scopeLogs\":[";
    for (size_t i = 0; i < order.size();) {
      std::string_view target = records[order[i]].target();
      if (i > 0) out->push_back(',');
      *out += "{\"scope\":{";
      if (!target.empty()) {
        *out += "\"name\":";
        internal::AppendJsonText(*out, target);
      }
      *out += "},\"logRecords\":[";
      for (size_t n = 0; i < order.size() && records[order[i]].target() == target; ++i, ++n) {
        if (n > 0) out->push_back(',');
        AppendJsonRecord(*out, records[order[i]]);
      }
      *out += "]}";
    }
    *out += "]}";
  }
  *out += "]}";
}

}  // namespace dynobs::otlp
