#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::metrics {

// The metrics side of one object of Dynamo's hierarchy: DistributedRuntime -> Namespace (may
// nest) -> Component -> Endpoint (spec §2.1-§2.3). Each scope owns a registry attached to its
// parent's, so a scrape of the runtime's registry sees the whole tree.
//
// Metrics created through a scope are named `dynamo_component_<sanitized name>` and carry the
// auto labels of the scope's level: dynamo_namespace (the full namespace path joined by '_',
// decided difference 9), dynamo_component, dynamo_endpoint (values sanitized like label names),
// then worker_id (the instance id in lowercase hex), then the caller's const labels. Callers may
// not set the auto labels themselves.
//
// Thread safety: scopes are immutable after creation; creating metrics is thread-safe.
class MetricsScope {
 public:
  enum class Level { kRuntime, kNamespace, kComponent, kEndpoint };

  static std::shared_ptr<MetricsScope> ForRuntime(uint64_t worker_id);
  // Children; each gets a new registry attached to this scope's. A namespace may be created on
  // the runtime or inside a namespace, a component on a namespace, an endpoint on a component.
  [[nodiscard]] std::shared_ptr<MetricsScope> NewNamespace(std::string_view name) const;
  [[nodiscard]] std::shared_ptr<MetricsScope> NewComponent(std::string_view name) const;
  [[nodiscard]] std::shared_ptr<MetricsScope> NewEndpoint(std::string_view name) const;

  [[nodiscard]] Level level() const { return level_; }
  [[nodiscard]] const std::shared_ptr<Registry>& registry() const { return registry_; }
  [[nodiscard]] uint64_t worker_id() const { return worker_id_; }
  // The auto labels this scope adds, in order (empty if a name could not be sanitized).
  [[nodiscard]] const Labels& auto_labels() const { return auto_labels_; }

  StatusOr<Counter> CreateCounter(MetricSpec spec) const;
  StatusOr<IntCounter> CreateIntCounter(MetricSpec spec) const;
  StatusOr<Gauge> CreateGauge(MetricSpec spec) const;
  StatusOr<IntGauge> CreateIntGauge(MetricSpec spec) const;
  StatusOr<Histogram> CreateHistogram(MetricSpec spec) const;
  StatusOr<CounterVec> CreateCounterVec(MetricSpec spec) const;
  StatusOr<IntCounterVec> CreateIntCounterVec(MetricSpec spec) const;
  StatusOr<GaugeVec> CreateGaugeVec(MetricSpec spec) const;
  StatusOr<IntGaugeVec> CreateIntGaugeVec(MetricSpec spec) const;
  StatusOr<HistogramVec> CreateHistogramVec(MetricSpec spec) const;
  Status CreateCallbackGauge(MetricSpec spec, std::function<double()> read) const;

  // The spec as the registry receives it: prefixed name, auto labels, checks of §2.3.
  [[nodiscard]] StatusOr<MetricSpec> Prepare(MetricSpec spec) const;

 private:
  MetricsScope(Level level, uint64_t worker_id, std::vector<std::string> namespaces,
               std::string component, std::string endpoint,
               std::shared_ptr<internal::FamilyCatalog> catalog);
  [[nodiscard]] std::shared_ptr<MetricsScope> Child(Level level, std::vector<std::string> ns,
                                                    std::string component,
                                                    std::string endpoint) const;

  Level level_;
  uint64_t worker_id_;
  std::vector<std::string> namespaces_;
  std::string component_;
  std::string endpoint_;
  std::shared_ptr<Registry> registry_;
  Labels auto_labels_;
  Status auto_label_status_;
};

}  // namespace dynobs::metrics
