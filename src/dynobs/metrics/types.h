#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::metrics {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };
enum class ValueKind : uint8_t { kFloat, kInt };

[[nodiscard]] std::string_view MetricTypeName(MetricType type);

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

// What a caller asks for when creating a metric. Field use by kind:
//   label_names: variable labels, vectors only (required there, refused elsewhere);
//   buckets:     histograms only; empty means the Prometheus defaults;
//   max_series:  vectors only; 0 means the process default (DYN_METRICS_MAX_SERIES_PER_FAMILY).
struct MetricSpec {
  std::string name;
  std::string help;
  Labels const_labels = {};
  std::vector<std::string> label_names = {};
  std::vector<double> buckets = {};
  size_t max_series = 0;
};

}  // namespace dynobs::metrics
