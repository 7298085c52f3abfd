#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/internal/family.h"
#include "dynobs/metrics/metric_vec.h"
#include "dynobs/metrics/types.h"

namespace dynobs::metrics {

namespace internal {
// The families known across one registry tree, so that one name always means one type, one help
// text and one set of label names (decided difference 3). Shared by the registries of a tree.
class FamilyCatalog {
 public:
  // Records the descriptor, or explains how it conflicts with the one already recorded.
  [[nodiscard]] Status Claim(const FamilyDesc& desc);

 private:
  struct Entry {
    MetricType type;
    std::string help;
    std::vector<std::string> label_names;
  };
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};
}  // namespace internal

// A set of metric families, the children whose families are merged with it at scrape, and the
// callbacks a scrape runs (spec §2.1). Metric names are taken as given (validated, not
// sanitized); MetricsScope adds Dynamo's prefix and auto labels on top.
//
// Creation errors are values: an invalid metric or label name, a reserved or duplicated label, a
// name already in this registry, or a name the tree knows with another type, help or label set.
//
// Thread safety: all methods may be called concurrently. The registry must outlive the gauge
// handles it gave out (counter and histogram handles outlive it harmlessly).
class Registry {
 public:
  Registry();
  explicit Registry(std::shared_ptr<internal::FamilyCatalog> catalog);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  StatusOr<Counter> CreateCounter(MetricSpec spec);
  StatusOr<IntCounter> CreateIntCounter(MetricSpec spec);
  StatusOr<Gauge> CreateGauge(MetricSpec spec);
  StatusOr<IntGauge> CreateIntGauge(MetricSpec spec);
  StatusOr<Histogram> CreateHistogram(MetricSpec spec);
  StatusOr<CounterVec> CreateCounterVec(MetricSpec spec);
  StatusOr<IntCounterVec> CreateIntCounterVec(MetricSpec spec);
  StatusOr<GaugeVec> CreateGaugeVec(MetricSpec spec);
  StatusOr<IntGaugeVec> CreateIntGaugeVec(MetricSpec spec);
  StatusOr<HistogramVec> CreateHistogramVec(MetricSpec spec);
  // Values read at scrape time, on the scraping thread; the callback must be thread-safe.
  Status CreateCallbackGauge(MetricSpec spec, std::function<double()> read);
  Status CreateCallbackCounter(MetricSpec spec, std::function<double()> read);

  // Tree edges, used only at scrape. Adding the same child twice is a no-op.
  void AddChild(std::shared_ptr<Registry> child);
  // Run before every scrape that includes this registry; an error is logged, the scrape goes on.
  void AddUpdateCallback(std::function<Status()> callback);
  // Text appended verbatim after the rendered families (engine pass-through metrics).
  void AddExpositionCallback(std::function<StatusOr<std::string>()> callback);

  [[nodiscard]] const std::shared_ptr<internal::FamilyCatalog>& catalog() const { return catalog_; }

  // For the scrape (exposition.cc).
  [[nodiscard]] std::vector<std::shared_ptr<Registry>> children() const;
  [[nodiscard]] std::vector<internal::Family*> families() const;  // sorted by name
  void RunUpdateCallbacks() const;
  void AppendExpositionText(std::vector<std::string>* pieces) const;

 private:
  StatusOr<internal::Family*> Register(internal::FamilyDesc desc);
  template <typename Handle>
  StatusOr<Handle> CreateScalar(MetricSpec spec, MetricType type, ValueKind kind);
  template <typename Handle>
  StatusOr<MetricVec<Handle>> CreateVec(MetricSpec spec, MetricType type, ValueKind kind);

  std::shared_ptr<internal::FamilyCatalog> catalog_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<internal::Family>, std::less<>> families_;
  std::vector<std::shared_ptr<Registry>> children_;
  std::vector<std::function<Status()>> update_callbacks_;
  std::vector<std::function<StatusOr<std::string>()>> exposition_callbacks_;
};

// The process default for a vector family's series limit (decided difference 11). 10000 unless
// set; DYN_METRICS_MAX_SERIES_PER_FAMILY sets it at start-up.
void SetDefaultSeriesLimit(size_t limit);
[[nodiscard]] size_t DefaultSeriesLimit();

// dynobs's own metrics about the metrics system (dynamo_metrics_series_dropped_total{family}).
// Root registries of a process add it as a child.
[[nodiscard]] std::shared_ptr<Registry> SelfMetricsRegistry();

}  // namespace dynobs::metrics
