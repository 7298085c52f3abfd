#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"

namespace CLI {
class App;
}

namespace dynobs::app {

// `dynobs tracecontext-test-service`: the service under test of the W3C Trace Context
// conformance suite (github.com/w3c/trace-context, test/test.py). It serves `POST /test`, whose
// body is a JSON array of {"url": "...", "arguments": [...]}; for each element, in order, it
// POSTs `arguments` as JSON to `url`, propagating the trace context it received: the same trace
// id, a span id of its own as the parent id (a new one per call), the flags (sampled as the
// sampler decides, by default as received) and the tracestate as received. An invalid or
// missing traceparent starts a new trace. It answers 200 once every call got an HTTP response,
// 502 when a call failed (connection refused, timeout), 400 for a body it cannot use.
//
// The calls run on worker threads (blocking libcurl, with a timeout), never on the io threads.
struct TracecontextTestServiceOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free port, printed on stdout
  int workers = 4;
  int timeout_ms = 5000;  // per outgoing call
};

void AddTracecontextTestServiceCommand(CLI::App& app, TracecontextTestServiceOptions& options);
int RunTracecontextTestService(const TracecontextTestServiceOptions& options);

// One element of a /test body: where to POST, and the JSON text to send.
struct TestCall {
  std::string url;
  std::string arguments_json;
};

inline constexpr size_t kMaxTestCalls = 32;
inline constexpr size_t kMaxTestBodyBytes = 64 * 1024;
inline constexpr size_t kMaxTestUrlBytes = 2048;

// Parses and checks a /test body: a JSON array of at most kMaxTestCalls objects, each with an
// http:// or https:// "url" (at most kMaxTestUrlBytes) and an optional "arguments" array
// (default []). InvalidArgument with a message for the client otherwise.
[[nodiscard]] StatusOr<std::vector<TestCall>> ParseTestCalls(std::string_view body);

}  // namespace dynobs::app
