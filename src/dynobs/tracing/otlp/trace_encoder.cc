#include "dynobs/tracing/otlp/encoder.h"

#include "dynobs/tracing/otlp/internal/attributes.h"
#include "dynobs/tracing/otlp/internal/id_bytes.h"
#include "dynobs/tracing/otlp/internal/json_writer.h"
#include "dynobs/tracing/otlp/internal/proto_writer.h"

namespace dynobs::otlp {
namespace {

using internal::ProtoWriter;

// Field numbers from opentelemetry-proto (collector/trace/v1, trace/v1, common/v1).
namespace f {
constexpr uint32_t kResourceSpans = 1;  // ExportTraceServiceRequest
constexpr uint32_t kResource = 1;       // ResourceSpans
constexpr uint32_t kScopeSpans = 2;     // ResourceSpans
constexpr uint32_t kScope = 1;          // ScopeSpans
constexpr uint32_t kSpans = 2;          // ScopeSpans
constexpr uint32_t kScopeName = 1;      // InstrumentationScope
// Span
constexpr uint32_t kTraceId = 1;
constexpr uint32_t kSpanId = 2;
constexpr uint32_t kTraceState = 3;
constexpr uint32_t kParentSpanId = 4;
constexpr uint32_t kName = 5;
constexpr uint32_t kKind = 6;
constexpr uint32_t kStartTime = 7;
constexpr uint32_t kEndTime = 8;
constexpr uint32_t kAttributes = 9;
constexpr uint32_t kDroppedAttributes = 10;
constexpr uint32_t kEvents = 11;
constexpr uint32_t kDroppedEvents = 12;
constexpr uint32_t kStatus = 15;
constexpr uint32_t kFlags = 16;
// Span.Event
constexpr uint32_t kEventTime = 1;
constexpr uint32_t kEventName = 2;
constexpr uint32_t kEventAttributes = 3;
// Status
constexpr uint32_t kStatusMessage = 2;
constexpr uint32_t kStatusCode = 3;
}  // namespace f

constexpr uint32_t kHasIsRemote = 0x100;
constexpr uint32_t kIsRemote = 0x200;

uint32_t SpanFlags(const tracing::SpanData& s) {
  uint32_t flags = s.trace_flags | kHasIsRemote;
  if (s.parent_is_remote && !internal::IsZeroId(s.parent_span_id.bytes)) flags |= kIsRemote;
  return flags;
}

void WriteEvent(ProtoWriter& w, const tracing::SpanEvent& e) {
  size_t m = w.BeginMessage(f::kEvents);
  w.Fixed64Field(f::kEventTime, static_cast<uint64_t>(e.time_unix_nanos));
  w.StringField(f::kEventName, e.name);
  for (const auto& a : e.attributes) internal::WriteAttribute(w, f::kEventAttributes, a);
  w.EndMessage(m);
}

void WriteSpan(ProtoWriter& w, const tracing::SpanData& s) {
  size_t m = w.BeginMessage(f::kSpans);
  w.BytesField(f::kTraceId, s.trace_id.bytes.data(), s.trace_id.bytes.size());
  w.BytesField(f::kSpanId, s.span_id.bytes.data(), s.span_id.bytes.size());
  if (!s.trace_state.empty()) w.StringField(f::kTraceState, s.trace_state);
  if (!internal::IsZeroId(s.parent_span_id.bytes)) {
    w.BytesField(f::kParentSpanId, s.parent_span_id.bytes.data(), s.parent_span_id.bytes.size());
  }
  w.StringField(f::kName, s.name);
  if (s.kind != tracing::SpanKind::kUnspecified) {
    w.VarintField(f::kKind, static_cast<uint64_t>(s.kind));
  }
  w.Fixed64Field(f::kStartTime, static_cast<uint64_t>(s.start_unix_nanos));
  w.Fixed64Field(f::kEndTime, static_cast<uint64_t>(s.end_unix_nanos));
  for (const auto& a : s.attributes) internal::WriteAttribute(w, f::kAttributes, a);
  if (s.dropped_attributes_count != 0) {
    w.VarintField(f::kDroppedAttributes, s.dropped_attributes_count);
  }
  for (const auto& e : s.events) WriteEvent(w, e);
  if (s.dropped_events_count != 0) w.VarintField(f::kDroppedEvents, s.dropped_events_count);
  if (s.status_code != tracing::StatusCode::kUnset || !s.status_message.empty()) {
    size_t st = w.BeginMessage(f::kStatus);
    if (!s.status_message.empty()) w.StringField(f::kStatusMessage, s.status_message);
    if (s.status_code != tracing::StatusCode::kUnset) {
      w.VarintField(f::kStatusCode, static_cast<uint64_t>(s.status_code));
    }
    w.EndMessage(st);
  }
  w.Fixed32Field(f::kFlags, SpanFlags(s));
  w.EndMessage(m);
}

void AppendJsonAttributes(std::string& out, const std::vector<tracing::Attribute>& attributes) {
  out += ",\"attributes\":[";
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) out.push_back(',');
    internal::AppendJsonAttribute(out, attributes[i]);
  }
  out.push_back(']');
}

void AppendJsonEvent(std::string& out, const tracing::SpanEvent& e) {
  out += "{\"timeUnixNano\":";
  internal::AppendJsonInt64String(out, e.time_unix_nanos);
  out += ",\"name\":";
  internal::AppendJsonText(out, e.name);
  if (!e.attributes.empty()) AppendJsonAttributes(out, e.attributes);
  out.push_back('}');
}

void AppendJsonEvents(std::string& out, const tracing::SpanData& s) {
  if (s.events.empty()) return;
  out += ",\"events\":[";
  for (size_t i = 0; i < s.events.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonEvent(out, s.events[i]);
  }
  out.push_back(']');
}

void AppendJsonStatus(std::string& out, const tracing::SpanData& s) {
  if (s.status_code == tracing::StatusCode::kUnset && s.status_message.empty()) return;
  out += ",\"status\":{";
  if (!s.status_message.empty()) {
    out += "\"message\":";
    internal::AppendJsonText(out, s.status_message);
    if (s.status_code != tracing::StatusCode::kUnset) out.push_back(',');
  }
  if (s.status_code != tracing::StatusCode::kUnset) {
    out += "\"code\":";
    internal::AppendJsonInt(out, static_cast<int64_t>(s.status_code));
  }
  out.push_back('}');
}

void AppendJsonSpan(std::string& out, const tracing::SpanData& s) {
  out += "{\"traceId\":";
  internal::AppendJsonHex(out, s.trace_id.bytes.data(), s.trace_id.bytes.size());
  out += ",\"spanId\":";
  internal::AppendJsonHex(out, s.span_id.bytes.data(), s.span_id.bytes.size());
  if (!s.trace_state.empty()) {
    out += ",\"traceState\":";
    internal::AppendJsonText(out, s.trace_state);
  }
  if (!internal::IsZeroId(s.parent_span_id.bytes)) {
    out += ",\"parentSpanId\":";
    internal::AppendJsonHex(out, s.parent_span_id.bytes.data(), s.parent_span_id.bytes.size());
  }
  out += ",\"flags\":";
  internal::AppendJsonInt(out, SpanFlags(s));
  out += ",\"name\":";
  internal::AppendJsonText(out, s.name);
  if (s.kind != tracing::SpanKind::kUnspecified) {
    out += ",\"kind\":";
    internal::AppendJsonInt(out, static_cast<int64_t>(s.kind));
  }
  out += ",\"startTimeUnixNano\":";
  internal::AppendJsonInt64String(out, s.start_unix_nanos);
  out += ",\"endTimeUnixNano\":";
  internal::AppendJsonInt64String(out, s.end_unix_nanos);
  if (!s.attributes.empty()) AppendJsonAttributes(out, s.attributes);
  if (s.dropped_attributes_count != 0) {
    out += ",\"droppedAttributesCount\":";
    internal::AppendJsonInt(out, s.dropped_attributes_count);
  }
  AppendJsonEvents(out, s);
  if (s.dropped_events_count != 0) {
    out += ",\"droppedEventsCount\":";
    internal::AppendJsonInt(out, s.dropped_events_count);
  }
  AppendJsonStatus(out, s);
  out.push_back('}');
}

}  // namespace

TraceEncoder::TraceEncoder(const Resource& resource, std::string_view scope_name)
    : resource_proto_(internal::ResourceProto(f::kResource, resource)),
      resource_json_(internal::ResourceJson(resource)) {
  ProtoWriter w(&scope_proto_);
  size_t m = w.BeginMessage(f::kScope);
  if (!scope_name.empty()) w.StringField(f::kScopeName, scope_name);
  w.EndMessage(m);
  scope_json_ = "\"scope\":{";
  if (!scope_name.empty()) {
    scope_json_ += "\"name\":";
    internal::AppendJsonText(scope_json_, scope_name);
  }
  scope_json_ += "}";
}

void TraceEncoder::EncodeProto(std::span<const tracing::SpanData> spans, std::string* out) const {
  if (spans.empty()) return;
  ProtoWriter w(out);
  size_t resource_spans = w.BeginMessage(f::kResourceSpans);
  out->append(resource_proto_);
  size_t scope_spans = w.BeginMessage(f::kScopeSpans);
  out->append(scope_proto_);
  for (const auto& s : spans) WriteSpan(w, s);
  w.EndMessage(scope_spans);
  w.EndMessage(resource_spans);
}

void TraceEncoder::EncodeJson(std::span<const tracing::SpanData> spans, std::string* out) const {
  *out += "{\"resourceSpans\":[";
  if (!spans.empty()) {
    *out += "{";
    *out += resource_json_;
    *out += ",\"scopeSpans\":[{";
    *out += scope_json_;
    *out += ",\"spans\":[";
    for (size_t i = 0; i < spans.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonSpan(*out, spans[i]);
    }
    *out += "]}]}";
  }
  *out += "]}";
}

}  // namespace dynobs::otlp
