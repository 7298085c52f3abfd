#include "dynobs/tracing/sampler.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace dynobs::tracing {
namespace {

constexpr std::string_view kSamplerVar = "OTEL_TRACES_SAMPLER";
constexpr std::string_view kSamplerArgVar = "OTEL_TRACES_SAMPLER_ARG";
constexpr std::string_view kSampleRatioVar = "OTEL_TRACES_SAMPLE_RATIO";
constexpr std::string_view kServiceNameVar = "OTEL_SERVICE_NAME";

struct NamedKind {
  std::string_view name;
  Sampler::Kind kind;
};

constexpr NamedKind kKinds[] = {
    {"always_on", Sampler::Kind::kAlwaysOn},
    {"always_off", Sampler::Kind::kAlwaysOff},
    {"traceidratio", Sampler::Kind::kTraceIdRatio},
    {"parentbased_always_on", Sampler::Kind::kParentBasedAlwaysOn},
    {"parentbased_always_off", Sampler::Kind::kParentBasedAlwaysOff},
    {"parentbased_traceidratio", Sampler::Kind::kParentBasedTraceIdRatio},
};

bool UsesRatio(Sampler::Kind kind) {
  return kind == Sampler::Kind::kTraceIdRatio || kind == Sampler::Kind::kParentBasedTraceIdRatio;
}

std::string RootDescription(Sampler::Kind kind, double ratio) {
  switch (kind) {
    case Sampler::Kind::kAlwaysOn:
    case Sampler::Kind::kParentBasedAlwaysOn:
      return "AlwaysOnSampler";
    case Sampler::Kind::kAlwaysOff:
    case Sampler::Kind::kParentBasedAlwaysOff:
      return "AlwaysOffSampler";
    case Sampler::Kind::kTraceIdRatio:
    case Sampler::Kind::kParentBasedTraceIdRatio:
      return fmt::format("TraceIdRatioBased{{{}}}", ratio);
  }
  return "";
}

// The sampler named by OTEL_TRACES_SAMPLER (+ _ARG); nullopt when the variable is unset.
StatusOr<std::optional<Sampler>> StandardSampler(const env::Reader& env, TracingConfig& config) {
  auto name = env.String(kSamplerVar);
  auto arg = env.Double(kSamplerArgVar, 0.0, 1.0);
  if (!arg.ok()) return arg.status();
  if (!name) return std::optional<Sampler>();
  const NamedKind* found = nullptr;
  for (const auto& k : kKinds) {
    if (k.name == *name) found = &k;
  }
  if (found == nullptr) {
    return env::InvalidSetting(kSamplerVar, *name,
                               "one of always_on, always_off, traceidratio, "
                               "parentbased_always_on, parentbased_always_off, "
                               "parentbased_traceidratio");
  }
  if (!UsesRatio(found->kind) && arg->has_value()) {
    config.warnings.push_back(
        fmt::format("{} is ignored: {}={} takes no argument", kSamplerArgVar, kSamplerVar, *name));
  }
  return std::optional<Sampler>(Sampler::Make(found->kind, arg->value_or(1.0)));
}

}  // namespace

Sampler::Sampler(Kind kind, double ratio) : kind_(kind) {
  if (!UsesRatio(kind)) {
    ratio = kind == Kind::kAlwaysOff || kind == Kind::kParentBasedAlwaysOff ? 0.0 : 1.0;
  }
  ratio_ = std::isnan(ratio) ? 0.0 : std::clamp(ratio, 0.0, 1.0);
  // threshold = (1 - ratio) * 2^56, computed as 2^56 - ratio * 2^56 to keep small ratios exact.
  auto sampled_range = static_cast<uint64_t>(std::llround(ratio_ * 0x1p56));
  threshold_ = kRandomnessRange - std::min(sampled_range, kRandomnessRange);
}

std::string_view Sampler::Name() const {
  for (const auto& k : kKinds) {
    if (k.kind == kind_) return k.name;
  }
  return "";
}

std::string Sampler::Description() const {
  std::string root = RootDescription(kind_, ratio_);
  switch (kind_) {
    case Kind::kParentBasedAlwaysOn:
    case Kind::kParentBasedAlwaysOff:
    case Kind::kParentBasedTraceIdRatio:
      return fmt::format("ParentBased{{root={}}}", root);
    default:
      return root;
  }
}

StatusOr<TracingConfig> LoadTracingConfig(const env::Reader& env) {
  TracingConfig config;
  auto dynamo_ratio = env.Double(kSampleRatioVar, 0.0, 1.0);
  if (!dynamo_ratio.ok()) return dynamo_ratio.status();
  auto standard = StandardSampler(env, config);
  if (!standard.ok()) return standard.status();
  if (standard->has_value()) {
    config.sampler = **standard;
    if (dynamo_ratio->has_value()) {
      config.warnings.push_back(fmt::format("{} is ignored: {} is set and takes precedence",
                                            kSampleRatioVar, kSamplerVar));
    }
  } else if (dynamo_ratio->has_value()) {
    config.sampler = Sampler::ParentBasedTraceIdRatio(**dynamo_ratio);
  }
  if (auto name = env.String(kServiceNameVar)) config.service_name = *name;
  return config;
}

}  // namespace dynobs::tracing
