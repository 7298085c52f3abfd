#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/metrics/internal/series_table.h"
#include "dynobs/metrics/types.h"

namespace dynobs::metrics::internal {

// Everything that defines a family, checked and normalized by the registry.
struct FamilyDesc {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  ValueKind kind = ValueKind::kFloat;
  Labels const_labels;                   // in the order given
  std::vector<std::string> label_names;  // variable labels, in declared order
  std::vector<double> buckets;           // histograms
  bool is_vector = false;
  size_t max_series = 0;             // vectors; already resolved from the default
  std::function<double()> callback;  // callback metrics: value read at scrape

  // The sorted set of all label names (const and variable): part of the family's identity.
  [[nodiscard]] std::vector<std::string> AllLabelNamesSorted() const;
};

// A metric family inside one registry: its descriptor and its series.
//
// Lookups of existing series (Find) are lock-free; creating a series takes the family mutex.
// Series are never removed, so pointers to them stay valid for the family's life.
class Family {
 public:
  explicit Family(FamilyDesc desc);
  ~Family();  // gives the series' cells back to the CellSpace
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  [[nodiscard]] const FamilyDesc& desc() const { return desc_; }
  // Histograms: the `le` label value of each bound, formatted once.
  [[nodiscard]] const std::vector<std::string>& le_values() const { return le_values_; }
  // Histograms: the bounds, readable up to an even length (Histogram's SSE2 search).
  [[nodiscard]] std::span<const double> handle_bounds() const {
    return {padded_bounds_.data(), desc_.buckets.size()};
  }

  // The series for these variable label values, created on first use. Past the family's series
  // limit a new label set gets the family's sink series: recorded into, never exposed, and the
  // drop is counted and warned about once. Fails when the cell space is full.
  [[nodiscard]] StatusOr<Series*> GetOrCreate(std::span<const std::string_view> values) {
    uint64_t h = HashLabelValues(values);
    if (Series* s = table_.Find(h, values)) return s;
    return Create(h, values);
  }

  // The exposed series sorted by label text. The vector is a copy made under the mutex; the
  // series it points to live as long as the family.
  void SortedSeries(std::vector<const Series*>* out);

  // Whether a series has cells in the CellSpace (its value is read from a CellSnapshot).
  [[nodiscard]] bool HasCells() const { return CellsPerSeries() > 0; }

  [[nodiscard]] size_t series_count();

 private:
  StatusOr<Series*> Create(uint64_t hash, std::span<const std::string_view> values);
  StatusOr<std::unique_ptr<Series>> NewSeries(uint64_t hash,
                                              std::span<const std::string_view> values);
  [[nodiscard]] std::string RenderLabelText(std::span<const std::string_view> values) const;
  // Cells each series owns in the CellSpace: 1 for an int counter, 2 for a float counter (whole
  // and fractional parts), bounds + 2 for a histogram, none for gauges and callbacks.
  [[nodiscard]] uint32_t CellsPerSeries() const;

  const FamilyDesc desc_;
  std::vector<std::string> le_values_;
  std::vector<double> padded_bounds_;
  // Label rendering order: all labels sorted by name; >= 0 indexes const_labels, < 0 is
  // -(variable index) - 1.
  std::vector<int> render_order_;

  std::mutex mu_;
  SeriesTable table_;
  std::vector<std::unique_ptr<Series>> series_;  // insertion order
  std::vector<const Series*> sorted_;            // prefix of series_ kept sorted by label text
  std::unique_ptr<Series> sink_;                 // over-limit label sets record here
  bool warned_limit_ = false;
};

// Escapes a label value for the text formats: backslash, double quote and newline.
void AppendEscapedLabelValue(std::string& out, std::string_view value);

// Called when a family refuses a new series over its limit (registry.cc counts and warns).
void OnSeriesDropped(std::string_view family, bool first_time, size_t limit);

}  // namespace dynobs::metrics::internal
