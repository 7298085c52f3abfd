#pragma once

#include <cstdint>
#include <string>

#include "dynobs/tracing/sampler.h"
#include "dynobs/tracing/span_data.h"

namespace dynobs::tracing {

// How the process traces: the sampler, where ended sampled spans go, and the service name
// (OTEL_SERVICE_NAME; the OTLP exporter puts it in the resource).
struct TracerOptions {
  Sampler sampler;
  // Receives each ended span that is sampled and recording. Not owned. Null: spans are not
  // exported (and sampled spans skip building their SpanData and reading the clock for it).
  SpanProcessor* processor = nullptr;
  std::string service_name = "dynamo";
};

// The process-wide tracer configuration. Configure() once at start-up, before spans start;
// until then spans use TracerOptions' defaults (parentbased_always_on, no export).
//
// Thread safety: Options() may be called from any thread at any time (one atomic load). A
// second Configure() (tests) is safe against spans in flight: each span keeps the options it
// started with, and every options object stays alive until the process exits (one small
// allocation per Configure()). Configure() itself must not race with another Configure().
// Lifetime: the processor must outlive every span ended while it is configured: call
// Shutdown() and end the spans in flight before destroying it.
class TracerProvider {
 public:
  static void Configure(TracerOptions options);
  [[nodiscard]] static const TracerOptions& Options();

  // The configured processor's ForceFlush / Shutdown; true / no-op without one.
  static bool ForceFlush(int64_t timeout_ms);
  static void Shutdown(int64_t timeout_ms);
};

}  // namespace dynobs::tracing
