#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/tracing/ids.h"
#include "dynobs/tracing/span_context.h"

namespace dynobs::tracing {

// Which spans are sampled (exported), with OpenTelemetry's built-in samplers and their
// OTEL_TRACES_SAMPLER names. An unsampled span still has ids, propagates them (flags 00) and
// appears in logs; it is only not exported.
//  - always_on / always_off: every span / none.
//  - traceidratio: the trace id decides, so every process of a trace decides alike. As the
//    OpenTelemetry specification defines it (W3C Level 2 randomness): the least-significant 56
//    bits of the trace id, read big-endian, are sampled when >= the rejection threshold
//    (1 - ratio) * 2^56. Ignores the parent.
//  - parentbased_X: a span with a parent (remote or local) follows the parent's sampled flag;
//    a root span asks X.
// A small value; ShouldSample is a few instructions, thread-safe.
class Sampler {
 public:
  enum class Kind : uint8_t {
    kAlwaysOn,
    kAlwaysOff,
    kTraceIdRatio,
    kParentBasedAlwaysOn,
    kParentBasedAlwaysOff,
    kParentBasedTraceIdRatio,
  };

  // OpenTelemetry's default, and Dynamo's (it configures none).
  Sampler() : Sampler(Kind::kParentBasedAlwaysOn, 1.0) {}

  // `ratio` matters to the two ratio kinds only; it is clamped to [0, 1].
  [[nodiscard]] static Sampler Make(Kind kind, double ratio = 1.0) { return {kind, ratio}; }
  [[nodiscard]] static Sampler AlwaysOn() { return {Kind::kAlwaysOn, 1.0}; }
  [[nodiscard]] static Sampler AlwaysOff() { return {Kind::kAlwaysOff, 0.0}; }
  // `ratio` is clamped to [0, 1].
  [[nodiscard]] static Sampler TraceIdRatio(double ratio) { return {Kind::kTraceIdRatio, ratio}; }
  [[nodiscard]] static Sampler ParentBasedAlwaysOn() { return {Kind::kParentBasedAlwaysOn, 1.0}; }
  [[nodiscard]] static Sampler ParentBasedAlwaysOff() { return {Kind::kParentBasedAlwaysOff, 0.0}; }
  [[nodiscard]] static Sampler ParentBasedTraceIdRatio(double ratio) {
    return {Kind::kParentBasedTraceIdRatio, ratio};
  }

  // `parent` is the span's parent context, or null for a root span (an invalid context counts
  // as no parent).
  [[nodiscard]] bool ShouldSample(const SpanContext* parent, const TraceId& trace_id) const {
    bool has_parent = parent != nullptr && parent->IsValid();
    switch (kind_) {
      case Kind::kAlwaysOn:
        return true;
      case Kind::kAlwaysOff:
        return false;
      case Kind::kTraceIdRatio:
        return RatioSamples(trace_id);
      case Kind::kParentBasedAlwaysOn:
        return has_parent ? parent->sampled() : true;
      case Kind::kParentBasedAlwaysOff:
        return has_parent && parent->sampled();
      case Kind::kParentBasedTraceIdRatio:
        return has_parent ? parent->sampled() : RatioSamples(trace_id);
    }
    return true;
  }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] double ratio() const { return ratio_; }
  // The OTEL_TRACES_SAMPLER name, e.g. "parentbased_traceidratio".
  [[nodiscard]] std::string_view Name() const;
  // As OpenTelemetry SDKs describe it: "ParentBased{root=TraceIdRatioBased{0.25}}".
  [[nodiscard]] std::string Description() const;

  friend bool operator==(const Sampler&, const Sampler&) = default;

 private:
  static constexpr uint64_t kRandomnessRange = uint64_t{1} << 56;

  Sampler(Kind kind, double ratio);
  [[nodiscard]] bool RatioSamples(const TraceId& trace_id) const {
    uint64_t randomness = 0;
    for (size_t i = 9; i < 16; ++i) randomness = randomness << 8 | trace_id.bytes[i];
    return randomness >= threshold_;
  }

  Kind kind_;
  double ratio_;
  uint64_t threshold_;  // rejection threshold in [0, 2^56]
};

// Tracing settings read from the environment at start-up.
struct TracingConfig {
  Sampler sampler;
  std::string service_name = "dynamo";  // OTEL_SERVICE_NAME
  // Settings that were valid but had no effect, one line each, for the caller to log as WARN.
  std::vector<std::string> warnings;
};

// Reads OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, Dynamo's OTEL_TRACES_SAMPLE_RATIO and
// OTEL_SERVICE_NAME:
//  - OTEL_TRACES_SAMPLER: always_on | always_off | traceidratio | parentbased_always_on |
//    parentbased_always_off | parentbased_traceidratio (exact, lowercase);
//  - OTEL_TRACES_SAMPLER_ARG: the ratio in [0, 1] for the two ratio samplers (default 1.0);
//    ignored, with a warning, by the others;
//  - OTEL_TRACES_SAMPLE_RATIO: a ratio in [0, 1] meaning parentbased_traceidratio with it.
// Precedence: OTEL_TRACES_SAMPLER, when set, wins over OTEL_TRACES_SAMPLE_RATIO (a warning says
// the latter is ignored); with neither, parentbased_always_on. Every value that is set must be
// valid, even one that is overridden: an invalid one is an InvalidArgument naming the variable,
// the value and what is accepted (the process stops, decided difference 1).
[[nodiscard]] StatusOr<TracingConfig> LoadTracingConfig(const env::Reader& env);

}  // namespace dynobs::tracing
