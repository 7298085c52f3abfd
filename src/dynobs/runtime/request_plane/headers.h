#pragma once

#include <string_view>

#include "dynobs/runtime/request_plane/stream.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/span_context.h"

namespace dynobs::runtime {

// The header the caller stamps with its wall clock (ns since the Unix epoch) right before the
// transport write; the worker's dynamo_work_handler_network_transit_seconds reads it (spec §3.3).
// RequestPlaneClient stamps it itself (RequestPlaneClientOptions::stamp_send_time).
inline constexpr std::string_view kSendTimestampHeader = "x-frontend-send-ts-ns";

// Adds the headers of an internal hop from the span with `context` (spec §8.3, through
// tracing::InjectInternalHop): `traceparent` (flags 01, or 00 when unsampled), `tracestate`,
// `x-request-id` and `request-id` when the context carries them. Headers of those names already
// in `headers` are replaced. Cost: one allocation per header added.
void AddTraceHeaders(const tracing::SpanContext& context, RequestHeaders* headers);

// The first value of header `name` (lowercase), "" when absent.
[[nodiscard]] std::string_view FindHeader(const RequestHeaders& headers, std::string_view name);

// A tracing::HeaderLookup over `headers` (which must outlive it), for tracing::ExtractContext.
[[nodiscard]] tracing::HeaderLookup LookupIn(const RequestHeaders& headers);

}  // namespace dynobs::runtime
