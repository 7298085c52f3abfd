#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dynobs/tracing/ids.h"

namespace dynobs::tracing {

// OpenTelemetry's SpanKind numbering (opentelemetry-proto trace.proto).
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

// An owned attribute value (OTLP AnyValue subset).
struct AttributeValue {
  enum class Kind : uint8_t { kBool, kInt, kDouble, kString };
  Kind kind = Kind::kString;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanEvent {
  std::string name;
  int64_t time_unix_nanos = 0;
  std::vector<Attribute> attributes;
};

// A finished span as exporters receive it: everything OTLP's Span message carries that dynobs
// uses. Owned and movable; produced by Span::End() for sampled spans.
struct SpanData {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // all zero for a root span
  bool parent_is_remote = false;
  uint8_t trace_flags = 0;  // W3C flags: 0x01 sampled, 0x02 random
  std::string trace_state;  // W3C tracestate header value, as propagated
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;
  // What the span's limits dropped (OTLP Span.dropped_attributes_count, dropped_events_count):
  // at most 128 attributes and 128 events are kept.
  uint32_t dropped_attributes_count = 0;
  uint32_t dropped_events_count = 0;
};

// Where ended, sampled spans go (the batch processor). OnEnd must not block and must not throw;
// a full queue drops the span and counts it.
class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  virtual void OnEnd(SpanData&& span) = 0;
  // Exports what is queued, waiting at most `timeout_ms`. Returns false if it could not finish.
  virtual bool ForceFlush(int64_t timeout_ms) = 0;
  virtual void Shutdown(int64_t timeout_ms) = 0;
};

}  // namespace dynobs::tracing
