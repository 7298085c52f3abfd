#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "dynobs/common/status.h"
#include "dynobs/metrics/handles.h"
#include "dynobs/metrics/internal/family.h"

namespace dynobs::metrics {

namespace internal {
template <typename Handle>
Handle MakeHandle(const Family& family, Series* series);

template <>
inline Counter MakeHandle<Counter>(const Family&, Series* s) {
  return Counter(s->slot);
}
template <>
inline IntCounter MakeHandle<IntCounter>(const Family&, Series* s) {
  return IntCounter(s->slot);
}
template <>
inline Gauge MakeHandle<Gauge>(const Family&, Series* s) {
  return Gauge(&s->float_bits);
}
template <>
inline IntGauge MakeHandle<IntGauge>(const Family&, Series* s) {
  return IntGauge(&s->int_value);
}
template <>
inline Histogram MakeHandle<Histogram>(const Family& f, Series* s) {
  return Histogram(s->slot, f.handle_bounds());
}
}  // namespace internal

// A family with variable labels. WithLabelValues resolves a tuple of label values (in the order
// of the family's label names) to a handle: lock-free and allocation-free when the series exists,
// which is the case to keep on a hot path anyway: resolve once, keep the handle.
//
// Errors: a wrong number of values. Past the family's series limit a new label set still gets a
// working handle, but its series is not exposed (see Family::GetOrCreate).
template <typename Handle>
class MetricVec {
 public:
  MetricVec() = default;
  explicit MetricVec(internal::Family* family)
      : family_(family), label_count_(family->desc().label_names.size()) {}

  [[nodiscard]] StatusOr<Handle> WithLabelValues(std::span<const std::string_view> values) const {
    if (values.size() != label_count_ || family_ == nullptr) {
      if (family_ == nullptr) return FailedPreconditionError("metric vector is not registered");
      return InvalidArgumentError(fmt::format("{} takes {} label values, got {}",
                                              family_->desc().name,
                                              family_->desc().label_names.size(), values.size()));
    }
    auto series = family_->GetOrCreate(values);
    if (!series.ok()) return series.status();
    return internal::MakeHandle<Handle>(*family_, *series);
  }
  [[nodiscard]] StatusOr<Handle> WithLabelValues(
      std::initializer_list<std::string_view> values) const {
    return WithLabelValues(std::span<const std::string_view>(values.begin(), values.size()));
  }

  // The handle for `values`, or a detached one (it records nowhere) when the values are refused:
  // for request paths that must go on whatever the metrics say.
  [[nodiscard]] Handle WithLabelValuesOrDetached(
      std::initializer_list<std::string_view> values) const {
    auto handle = WithLabelValues(values);
    return handle.ok() ? *handle : Handle();
  }

  [[nodiscard]] const std::string& name() const { return family_->desc().name; }

 private:
  internal::Family* family_ = nullptr;
  size_t label_count_ = 0;
};

using CounterVec = MetricVec<Counter>;
using IntCounterVec = MetricVec<IntCounter>;
using GaugeVec = MetricVec<Gauge>;
using IntGaugeVec = MetricVec<IntGauge>;
using HistogramVec = MetricVec<Histogram>;

}  // namespace dynobs::metrics
