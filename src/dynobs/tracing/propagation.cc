#include "dynobs/tracing/propagation.h"

#include <optional>
#include <string>
#include <vector>

#include "dynobs/logging/log.h"
#include "dynobs/tracing/ids.h"
#include "dynobs/tracing/traceparent.h"
#include "dynobs/tracing/tracestate.h"

namespace dynobs::tracing {
namespace {

constexpr const char* kTarget = "dynobs::tracing::propagation";
// How much of an unusable header value a warning quotes.
constexpr size_t kQuoteLimit = 128;

std::vector<std::string_view> Values(const HeaderLookup& lookup, std::string_view name) {
  std::vector<std::string_view> values;
  lookup(name, [&values](std::string_view v) { values.push_back(v); });
  return values;
}

std::optional<std::string_view> First(const HeaderLookup& lookup, std::string_view name) {
  std::optional<std::string_view> first;
  lookup(name, [&first](std::string_view v) {
    if (!first) first = v;
  });
  return first;
}

SpanContext ExtractW3c(const HeaderLookup& lookup) {
  std::vector<std::string_view> parents = Values(lookup, "traceparent");
  if (parents.size() != 1) return {};
  std::optional<Traceparent> tp = ParseTraceparent(parents[0]);
  if (!tp) return {};
  SpanContext context(tp->trace_id, tp->parent_id, tp->flags & kKnownFlags, /*is_remote=*/true);
  std::vector<std::string_view> states = Values(lookup, "tracestate");
  if (states.empty()) return context;
  std::optional<TraceState> state = TraceState::Parse(states);
  if (!state || state->empty()) return context;
  return context.WithTracestate(state->ToHeader());
}

std::string RequestId(const HeaderLookup& lookup) {
  std::optional<std::string_view> id = First(lookup, "request-id");
  if (id && IsUuid(*id)) return std::string(*id);
  std::optional<std::string_view> legacy = First(lookup, "x-dynamo-request-id");
  if (legacy) {
    DYNOBS_LOG(kWarn, kTarget,
               "the x-dynamo-request-id header is deprecated (DEP #7812); send request-id");
    if (IsUuid(*legacy)) return std::string(*legacy);
    DYNOBS_LOG(kWarn, kTarget, "x-dynamo-request-id is not a valid UUID; using a new request id",
               {"value", std::string(legacy->substr(0, kQuoteLimit))});
  }
  return NewUuidV4();
}

}  // namespace

SpanContext ExtractContext(const HeaderLookup& lookup) {
  SpanContext context = ExtractW3c(lookup);
  std::optional<std::string_view> x_request_id = First(lookup, "x-request-id");
  return context.WithRequestIds(x_request_id.value_or(std::string_view()), RequestId(lookup));
}

void InjectTraceContext(const SpanContext& context, const HeaderWriter& write) {
  if (!context.IsValid()) return;
  TraceparentBuffer tp;
  FormatTraceparent(context.trace_id(), context.span_id(), context.flags() & kKnownFlags, tp);
  write("traceparent", std::string_view(tp.data(), tp.size()));
  if (!context.tracestate().empty()) write("tracestate", context.tracestate());
}

void InjectInternalHop(const SpanContext& context, const HeaderWriter& write) {
  if (context.IsValid()) {
    TraceparentBuffer tp;
    FormatTraceparent(context.trace_id(), context.span_id(), context.flags() & kSampledFlag, tp);
    write("traceparent", std::string_view(tp.data(), tp.size()));
    if (!context.tracestate().empty()) write("tracestate", context.tracestate());
  }
  if (!context.x_request_id().empty()) write("x-request-id", context.x_request_id());
  if (!context.request_id().empty()) write("request-id", context.request_id());
}

}  // namespace dynobs::tracing
