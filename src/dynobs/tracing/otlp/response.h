#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/config.h"

namespace dynobs::otlp {

// What a collector may say back, read from untrusted bytes (bounded, never throws).

// ExportTraceServiceResponse / ExportLogsServiceResponse: `partial_success` tells how many
// records the collector rejected (the request itself succeeded; OTLP says not to retry).
struct PartialSuccess {
  int64_t rejected = 0;
  std::string error_message;
  [[nodiscard]] bool empty() const { return rejected == 0 && error_message.empty(); }
};

// Protobuf body (gRPC, http/protobuf). nullopt when malformed.
[[nodiscard]] std::optional<PartialSuccess> ParseProtoResponse(std::string_view body);
// OTLP/JSON body: {"partialSuccess":{"rejectedSpans"|"rejectedLogRecords":N,"errorMessage":...}},
// N a number or a decimal string. nullopt when malformed.
[[nodiscard]] std::optional<PartialSuccess> ParseJsonResponse(std::string_view body, Signal signal);

// The delay of a google.rpc.RetryInfo detail in a serialized google.rpc.Status (gRPC's
// grpc-status-details-bin trailer), in milliseconds; nullopt when there is none.
[[nodiscard]] std::optional<int64_t> RetryInfoDelayMs(std::string_view status_bytes);

}  // namespace dynobs::otlp
