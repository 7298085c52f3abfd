#include "dynobs/runtime/request_plane/client_metrics.h"

#include <utility>
#include <vector>

#include "dynobs/metrics/create.h"

namespace dynobs::runtime {
namespace {

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1};
}

}  // namespace

StatusOr<std::shared_ptr<const RequestPlaneMetrics>> RequestPlaneMetrics::Create(
    std::shared_ptr<metrics::Registry> registry) {
  if (!registry) return InvalidArgumentError("RequestPlaneMetrics needs a registry");
  std::shared_ptr<RequestPlaneMetrics> m(new RequestPlaneMetrics());
  metrics::Registry& r = *registry;
  for (const Status& s : {
           metrics::AssignCreated(r.CreateHistogram({.name = "dynamo_request_plane_queue_seconds",
          .help = "Time from generate() entry to send_request() (seconds)",
          .buckets = LatencyBuckets()}),
                                  &m->queue_seconds),
           metrics::AssignCreated(r.CreateHistogram({.name = "dynamo_request_plane_send_seconds",
           .help = "Time for send_request() to complete (seconds)",
           .buckets = LatencyBuckets()}),
                                  &m->send_seconds),
           metrics::AssignCreated(
               r.CreateHistogram({.name = "dynamo_request_plane_roundtrip_ttft_seconds",
 .help = "Time from send_request() to first response item (seconds)",
 .buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}}),
               &m->roundtrip_ttft_seconds),
           metrics::AssignCreated(r.CreateGauge({.name = "dynamo_request_plane_inflight_requests",
           .help = "Currently in-flight requests at AddressedPushRouter"}),
                                  &m->inflight),
           metrics::AssignCreated(r.CreateCounter({.name = "dynamo_transport_tcp_bytes_sent_total",
           .help = "Total bytes sent by TCP request client"}),
                                  &m->bytes_sent),
           metrics::AssignCreated(
               r.CreateCounter({.name = "dynamo_transport_tcp_bytes_received_total",
 .help = "Total bytes received by TCP request client"}),
               &m->bytes_received),
           metrics::AssignCreated(r.CreateCounter({.name = "dynamo_transport_tcp_errors_total",
           .help = "Total TCP request errors (send failure or timeout)"}),
                                  &m->errors),
       }) {
    if (!s.ok()) return s;
  }
  m->registry_ = std::move(registry);
  return std::shared_ptr<const RequestPlaneMetrics>(std::move(m));
}

const RequestPlaneMetrics& RequestPlaneMetrics::Disabled() {
  static const auto* disabled = new RequestPlaneMetrics();
  return *disabled;
}

}  // namespace dynobs::runtime
