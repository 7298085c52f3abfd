#pragma once

#include <span>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/log_data.h"
#include "dynobs/tracing/otlp/resource.h"
#include "dynobs/tracing/span_data.h"

namespace dynobs::otlp {

// Encoders of OTLP export requests, written from the opentelemetry-proto definitions
// (collector/{trace,logs}/v1, trace/v1, logs/v1, common/v1, resource/v1):
//   - protobuf: the binary wire format, for gRPC and http/protobuf;
//   - OTLP/JSON: the protobuf JSON mapping with OTLP's rules (lowerCamelCase keys, ids as hex,
//     enums as integers, 64-bit integers as decimal strings), for http/json.
// Fields holding their default value are left out, as protobuf does. Strings that are not valid
// UTF-8 are sent with U+FFFD in place of the bad bytes.
//
// The resource and the scope are encoded once, at construction. Encode* appends one request to
// `out` (an empty batch gives an empty request). Encoders are immutable after construction:
// any number of threads may encode with one at once.

// Spans: one ResourceSpans (the resource) with one ScopeSpans whose scope is named `scope_name`
// (Dynamo names its tracer after the service).
//
// Span.flags carries the W3C trace flags in bits 0-7, HAS_IS_REMOTE (0x100) always, and
// IS_REMOTE (0x200) when the span has a remote parent.
class TraceEncoder {
 public:
  TraceEncoder(const Resource& resource, std::string_view scope_name);

  void EncodeProto(std::span<const tracing::SpanData> spans, std::string* out) const;
  void EncodeJson(std::span<const tracing::SpanData> spans, std::string* out) const;

 private:
  std::string resource_proto_;  // ResourceSpans.resource, field and all
  std::string scope_proto_;     // ScopeSpans.scope, field and all
  std::string resource_json_;   // "resource":{...}
  std::string scope_json_;      // "scope":{...}
};

// Log records: one ResourceLogs with one ScopeLogs per target (the scope is named after the
// target), in the order targets first appear in the batch. Each LogRecord carries
//   time_unix_nano, observed_time_unix_nano, severity_number (ERROR 17, WARN 13, INFO 9,
//   DEBUG 5, TRACE 1), severity_text ("ERROR"...), body = the message (a string),
//   attributes = the record's fields (bool, int, double, string; an unsigned value above
//   INT64_MAX and a JSON value as a string) then `code.file.path` and `code.line.number` when
//   the call site is known, and trace_id / span_id when the record was emitted inside a span.
class LogEncoder {
 public:
  explicit LogEncoder(const Resource& resource);

  void EncodeProto(std::span<const LogData> records, std::string* out) const;
  void EncodeJson(std::span<const LogData> records, std::string* out) const;

 private:
  std::string resource_proto_;  // ResourceLogs.resource, field and all
  std::string resource_json_;
};

}  // namespace dynobs::otlp
