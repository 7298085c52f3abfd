#pragma once

#include <memory>

#include "dynobs/common/status.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::runtime {

// The caller-side families of spec §3.6, raw names without labels, in one registry (the
// frontend's):
//   dynamo_request_plane_queue_seconds     Generate() entry -> the REQUEST is about to be written
//                                          (connection from the pool or connected, encoded);
//   dynamo_request_plane_send_seconds      the write starts -> the worker's PROLOGUE (or END)
//                                          arrives: network + remote queue + ack;
//   dynamo_request_plane_roundtrip_ttft_seconds  the write starts -> the first ITEM arrives;
//   dynamo_request_plane_inflight_requests (gauge) streams between Generate() and their end;
//   dynamo_transport_tcp_bytes_sent_total, _bytes_received_total: bytes on the request plane's
//                                          sockets, frame headers included;
//   dynamo_transport_tcp_errors_total      connect failures and timeouts, write failures, a
//                                          connection lost before END, inactivity timeouts,
//                                          protocol errors from the worker.
// Buckets and help texts are Dynamo's. Create it once per registry and share it between
// clients (a second Create on the same registry fails: the names are taken).
//
// Thread safety: recording is lock-free from any thread. Lifetime: keeps the registry alive.
class RequestPlaneMetrics {
 public:
  static StatusOr<std::shared_ptr<const RequestPlaneMetrics>> Create(
      std::shared_ptr<metrics::Registry> registry);
  // An instance whose handles record nowhere (a client without metrics).
  [[nodiscard]] static const RequestPlaneMetrics& Disabled();

  metrics::Histogram queue_seconds;
  metrics::Histogram send_seconds;
  metrics::Histogram roundtrip_ttft_seconds;
  metrics::Gauge inflight;
  metrics::Counter bytes_sent;
  metrics::Counter bytes_received;
  metrics::Counter errors;

 private:
  RequestPlaneMetrics() = default;
  std::shared_ptr<metrics::Registry> registry_;
};

}  // namespace dynobs::runtime
