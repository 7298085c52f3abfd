#pragma once

#include <cstdint>
#include <string>

#include "dynobs/logging/record.h"

namespace dynobs::logging {

// The two line formats of spec §7.1 / §7.3. Formatters are pure functions of the record (the
// timestamp is the record's, so tests fix the clock by building records) and append one whole
// line, ending in '\n', to `out`, reusing its capacity. Field values of sensitive keys are
// written as [REDACTED] (redaction.h), whoever built the record. Thread-safe; each thread keeps
// small scratch state of its own.

struct FormatOptions {
  bool local_time = false;  // DYN_LOG_USE_LOCAL_TZ: local time with a `+02:00` offset, else UTC Z
  bool ansi = false;        // readable only: colour the level (red, yellow, green, blue, magenta)
};

// One JSON object (spec §7.3). Keys: time, level, file (when known), line (when known), target,
// message, then, sorted bytewise: the event fields, the innermost span's fields (overwriting
// same-named event fields; always written as JSON strings, as Dynamo does), span_name, trace_id,
// span_id, parent_id (when the span has a parent), tracestate, x_request_id and request_id (when
// not empty). Outside a span, event fields named trace_id, span_id, parent_id, span_name and
// tracestate are dropped. Of event fields with the same key the last wins. An event field named
// like a fixed key (time, level, file, line, target, message) is written as `fields.<key>` so
// that no key appears twice.
// Event values: bool as a JSON bool; integers as numbers; doubles as numbers (NaN and infinities
// as 0); a string that is itself valid JSON embedded as JSON (whitespace removed), other strings
// as JSON strings; FieldValue::Json embedded when valid, else written as a string. Every line is
// valid JSON: strings escaped, invalid UTF-8 replaced by U+FFFD.
void AppendJsonl(const LogRecord& record, const FormatOptions& options, std::string* out);

// tracing-subscriber's compact shape (spec §7.1):
//   2026-11-25T03:24:29.123456Z  INFO http-request: dynobs::frontend: request received a=1 b=x
// time, the level right-aligned to 5, the innermost span's name and `: ` when inside a span, the
// target and `: `, the message, then ` key=value` for each event field and then each span field.
// Values are written bare, except that text which is empty or contains a space, `"`, `=` or `\`
// is quoted with `\"` and `\\` escapes (logfmt style). Control characters in the message and in
// values are escaped (\n, \r, \t, \u00XX) so that a record is always one line; invalid UTF-8 is
// replaced by U+FFFD.
void AppendReadable(const LogRecord& record, const FormatOptions& options, std::string* out);

// `2026-11-25T03:24:29.123456Z` (UTC) or `2026-11-25T05:24:29.123456+02:00` (local). The date
// and offset are computed once per second per thread.
void AppendTimestamp(int64_t unix_nanos, bool local_time, std::string* out);

}  // namespace dynobs::logging
