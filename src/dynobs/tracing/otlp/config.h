#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/tracing/otlp/kv_list.h"
#include "dynobs/tracing/otlp/resource.h"

namespace dynobs::otlp {

// OTLP export settings, read once at start-up from the OTEL_* variables (docs/tracing-export.md
// lists every one, with the rules below). LoadExportConfig validates every variable that is set,
// whether or not its signal is switched on, and returns the first invalid one as an error whose
// message is the one line the process prints before it stops (decided difference 1).
//
// Plain values; build once, then read from any thread.

enum class Signal : uint8_t { kTraces, kLogs };
enum class Protocol : uint8_t { kGrpc, kHttpProtobuf, kHttpJson };
enum class Compression : uint8_t { kNone, kGzip };

[[nodiscard]] std::string_view SignalName(Signal signal);        // "traces", "logs"
[[nodiscard]] std::string_view ProtocolName(Protocol protocol);  // "grpc", "http/protobuf", ...

struct SignalConfig {
  Signal signal = Signal::kTraces;
  bool enabled = false;
  Protocol protocol = Protocol::kGrpc;
  // HTTP: the URL requests go to (signal path included). gRPC: scheme://host:port.
  std::string endpoint;
  std::string grpc_target;     // gRPC only: host:port for the channel
  bool tls = false;            // https, or a gRPC endpoint without scheme and not insecure
  KeyValueList headers;        // names lower-cased for gRPC
  int64_t timeout_ms = 10000;  // one request
  Compression compression = Compression::kNone;
  std::string certificate_file;         // CA bundle (PEM) that verifies the server
  std::string client_key_file;          // mTLS, PEM
  std::string client_certificate_file;  // mTLS, PEM
};

// OTEL_BSP_* (spans) / OTEL_BLRP_* (log records).
struct BatchConfig {
  int64_t max_queue_size = 2048;
  int64_t max_export_batch_size = 512;
  int64_t schedule_delay_ms = 5000;
  int64_t export_timeout_ms = 30000;  // one batch, retries included
};

struct ExportConfig {
  Resource resource;         // service.name first
  std::string service_name;  // OTEL_SERVICE_NAME, else service.name of the attributes, else dynamo
  SignalConfig traces;
  SignalConfig logs;
  BatchConfig span_batch;
  BatchConfig log_batch;
};

[[nodiscard]] StatusOr<ExportConfig> LoadExportConfig(const env::Reader& env);

// The endpoint rules, exposed for tests. `generic` / `specific` are OTEL_EXPORTER_OTLP_ENDPOINT
// and the signal's own variable (empty when unset); `traces_endpoint` is
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which the logs signal falls back to (Dynamo's rule, §4.3)
// when neither of its own is set and both signals use the same protocol.
struct EndpointInputs {
  Signal signal = Signal::kTraces;
  Protocol protocol = Protocol::kGrpc;
  std::string_view generic;
  std::string_view specific;
  std::string_view traces_endpoint;
  Protocol traces_protocol = Protocol::kGrpc;
  bool insecure = false;  // OTEL_EXPORTER_OTLP_[SIGNAL_]INSECURE
};
// Fills endpoint, grpc_target and tls of `out`.
[[nodiscard]] Status ResolveEndpoint(const EndpointInputs& in, SignalConfig* out);

}  // namespace dynobs::otlp
