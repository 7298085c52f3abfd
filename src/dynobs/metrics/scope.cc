#include "dynobs/metrics/scope.h"

#include <cassert>
#include <set>

#include <fmt/format.h>

#include "dynobs/common/ids.h"
#include "dynobs/metrics/names.h"

namespace dynobs::metrics {
namespace {

constexpr std::string_view kPrefix = "dynamo_component_";

std::string JoinNamespaces(const std::vector<std::string>& ns) {
  std::string out;
  for (const auto& n : ns) {
    if (n.empty()) continue;
    if (!out.empty()) out += '_';
    out += n;
  }
  return out;
}

}  // namespace

MetricsScope::MetricsScope(Level level, uint64_t worker_id, std::vector<std::string> namespaces,
                           std::string component, std::string endpoint,
                           std::shared_ptr<internal::FamilyCatalog> catalog)
    : level_(level),
      worker_id_(worker_id),
      namespaces_(std::move(namespaces)),
      component_(std::move(component)),
      endpoint_(std::move(endpoint)),
      registry_(std::make_shared<Registry>(std::move(catalog))) {
  auto add = [this](std::string_view label, std::string_view value) {
    if (value.empty() || !auto_label_status_.ok()) return;
    auto sanitized = SanitizeLabelName(value);
    if (!sanitized.ok()) {
      auto_label_status_ =
          InvalidArgumentError(fmt::format("{} value \"{}\" cannot be used as a label: {}", label,
                                           value, sanitized.status().message()));
      return;
    }
    auto_labels_.push_back({std::string(label), std::move(*sanitized)});
  };
  if (level_ >= Level::kNamespace) add("dynamo_namespace", JoinNamespaces(namespaces_));
  if (level_ >= Level::kComponent) add("dynamo_component", component_);
  if (level_ >= Level::kEndpoint) add("dynamo_endpoint", endpoint_);
  auto_labels_.push_back({"worker_id", HexId(worker_id_)});
}

std::shared_ptr<MetricsScope> MetricsScope::ForRuntime(uint64_t worker_id) {
  return std::shared_ptr<MetricsScope>(new MetricsScope(
      Level::kRuntime, worker_id, {}, "", "", std::make_shared<internal::FamilyCatalog>()));
}

std::shared_ptr<MetricsScope> MetricsScope::Child(Level level, std::vector<std::string> ns,
                                                  std::string component,
                                                  std::string endpoint) const {
  auto child = std::shared_ptr<MetricsScope>(
      new MetricsScope(level, worker_id_, std::move(ns), std::move(component), std::move(endpoint),
                       registry_->catalog()));
  registry_->AddChild(child->registry_);
  return child;
}

std::shared_ptr<MetricsScope> MetricsScope::NewNamespace(std::string_view name) const {
  assert(level_ == Level::kRuntime || level_ == Level::kNamespace);
  std::vector<std::string> ns = namespaces_;
  ns.emplace_back(name);
  return Child(Level::kNamespace, std::move(ns), "", "");
}

std::shared_ptr<MetricsScope> MetricsScope::NewComponent(std::string_view name) const {
  assert(level_ == Level::kNamespace);
  return Child(Level::kComponent, namespaces_, std::string(name), "");
}

std::shared_ptr<MetricsScope> MetricsScope::NewEndpoint(std::string_view name) const {
  assert(level_ == Level::kComponent);
  return Child(Level::kEndpoint, namespaces_, component_, std::string(name));
}

StatusOr<MetricSpec> MetricsScope::Prepare(MetricSpec spec) const {
  std::set<std::string_view> keys;
  for (const auto& l : spec.const_labels) {
    if (!keys.insert(l.name).second) {
      return InvalidArgumentError(fmt::format("Duplicate label key '{}' found in labels", l.name));
    }
  }
  auto name = SanitizeMetricName(spec.name);
  if (!name.ok()) return name.status();
  for (const auto& l : spec.const_labels) {
    if (IsAutoLabel(l.name)) {
      return InvalidArgumentError(fmt::format(
          "Label '{}' is automatically added by auto-label injection and cannot be manually set",
          l.name));
    }
  }
  for (const auto& n : spec.label_names) {
    if (IsAutoLabel(n)) {
      return InvalidArgumentError(
          fmt::format("Variable label '{}' conflicts with auto-injected const label", n));
    }
  }
  if (!auto_label_status_.ok()) return auto_label_status_;
  spec.name = std::string(kPrefix) + *name;
  Labels labels = auto_labels_;
  for (auto& l : spec.const_labels) labels.push_back(std::move(l));
  spec.const_labels = std::move(labels);
  return spec;
}

#define DYNOBS_SCOPE_CREATE(Type, Method)                      \
  StatusOr<Type> MetricsScope::Method(MetricSpec spec) const { \
    auto prepared = Prepare(std::move(spec));                  \
    if (!prepared.ok()) return prepared.status();              \
    return registry_->Method(std::move(*prepared));            \
  }
DYNOBS_SCOPE_CREATE(Counter, CreateCounter)
DYNOBS_SCOPE_CREATE(IntCounter, CreateIntCounter)
DYNOBS_SCOPE_CREATE(Gauge, CreateGauge)
DYNOBS_SCOPE_CREATE(IntGauge, CreateIntGauge)
DYNOBS_SCOPE_CREATE(Histogram, CreateHistogram)
DYNOBS_SCOPE_CREATE(CounterVec, CreateCounterVec)
DYNOBS_SCOPE_CREATE(IntCounterVec, CreateIntCounterVec)
DYNOBS_SCOPE_CREATE(GaugeVec, CreateGaugeVec)
DYNOBS_SCOPE_CREATE(IntGaugeVec, CreateIntGaugeVec)
DYNOBS_SCOPE_CREATE(HistogramVec, CreateHistogramVec)
#undef DYNOBS_SCOPE_CREATE

Status MetricsScope::CreateCallbackGauge(MetricSpec spec, std::function<double()> read) const {
  auto prepared = Prepare(std::move(spec));
  if (!prepared.ok()) return prepared.status();
  return registry_->CreateCallbackGauge(std::move(*prepared), std::move(read));
}

}  // namespace dynobs::metrics
