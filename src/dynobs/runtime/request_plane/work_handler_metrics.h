#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dynobs/common/status.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/metric_vec.h"
#include "dynobs/metrics/registry.h"
#include "dynobs/metrics/scope.h"

namespace dynobs::runtime {

// The `error_type` values of dynamo_component_errors_total (spec §3.2), and what each means in
// this request plane (docs/request-plane.md, "Errors"):
//  kDeserialization  a REQUEST whose header section is well framed but invalid (a name that is
//                    not a lowercase token, a value with CR/LF/NUL, over 256 headers, an
//                    x-frontend-send-ts-ns that is not an integer);
//  kInvalidMessage   a REQUEST for a known endpoint whose header section does not fit the frame;
//  kResponseStream   the response stream could not be opened: the caller was gone before the
//                    handler could start;
//  kGenerate         the handler failed the stream (Fail(), an exception, releasing it unended),
//                    or the worker refused the request as overloaded (max_concurrent_streams);
//  kPublishResponse  a Send() that failed: the caller cancelled or disconnected, or read too
//                    slowly (counted once per stream, also on cancellation, as Dynamo does);
//  kPublishFinal     the handler's END could not be delivered: the caller was gone when the
//                    handler finished or failed, or writing the END frame failed.
enum class WorkHandlerError : uint8_t {
  kDeserialization,
  kInvalidMessage,
  kResponseStream,
  kGenerate,
  kPublishResponse,
  kPublishFinal,
};
inline constexpr size_t kWorkHandlerErrorCount = 6;

[[nodiscard]] std::string_view WorkHandlerErrorName(WorkHandlerError error);

// The work-handler families of one endpoint (spec §3.2), created on the endpoint's scope so that
// they carry its auto labels plus `labels` (Dynamo's metrics_labels, e.g. model). Names, help
// texts, types and buckets are Dynamo's:
//   dynamo_component_requests_total, _inflight_requests, _request_bytes_total,
//   _response_bytes_total, _request_duration_seconds (17 bounds, 0.005 .. 600),
//   _errors_total{error_type}, _cancellation_total.
// An error_type series appears at its first error, as with Dynamo's IntCounterVec.
//
// Thread safety: recording is lock-free from any thread (metrics handles). Lifetime: keeps the
// endpoint's registry alive (its gauges and histogram bounds live there).
class WorkHandlerMetrics {
 public:
  static StatusOr<std::unique_ptr<WorkHandlerMetrics>> Create(
      const metrics::MetricsScope& endpoint_scope, const metrics::Labels& labels);

  void CountError(WorkHandlerError error) const;

  metrics::IntCounter requests;
  metrics::IntGauge inflight;
  metrics::IntCounter request_bytes;
  metrics::IntCounter response_bytes;
  metrics::Histogram duration;
  metrics::IntCounter cancellations;

 private:
  WorkHandlerMetrics() = default;

  metrics::IntCounterVec errors_;
  std::shared_ptr<metrics::Registry> registry_;
};

// The process-global transport breakdown of spec §3.3, without labels:
//   dynamo_work_handler_network_transit_seconds  (0.0001 .. 1, 9 bounds)
//   dynamo_work_handler_time_to_first_response_seconds  (0.001 .. 60, 14 bounds)
// registered once per process, into the registry of the first endpoint that adds work-handler
// metrics (which it keeps alive). Until then, and when registration fails, the handles record
// nowhere. Thread-safe.
struct WorkHandlerPerf {
  metrics::Histogram network_transit;
  metrics::Histogram time_to_first_response;
};
// Registers the families into `registry` if no endpoint has yet; returns the process's handles.
const WorkHandlerPerf& EnsureWorkHandlerPerf(const std::shared_ptr<metrics::Registry>& registry);
[[nodiscard]] const WorkHandlerPerf& GetWorkHandlerPerf();
// Tests: forget the registration, so that the next endpoint registers the families again.
void ResetWorkHandlerPerfForTesting();

// Network transit from a caller's send timestamp to `received_unix_nanos`, in seconds; a
// negative difference (clock skew) saturates to 0 (spec §3.3).
[[nodiscard]] inline double TransitSeconds(int64_t send_unix_nanos, int64_t received_unix_nanos) {
  int64_t d = received_unix_nanos - send_unix_nanos;
  return d > 0 ? static_cast<double>(d) / 1e9 : 0.0;
}

}  // namespace dynobs::runtime
