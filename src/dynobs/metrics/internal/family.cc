#include "dynobs/metrics/internal/family.h"

#include <algorithm>
#include <cmath>

#include "dynobs/metrics/internal/cell_space.h"
#include "dynobs/metrics/number_format.h"

namespace dynobs::metrics::internal {

std::vector<std::string> FamilyDesc::AllLabelNamesSorted() const {
  std::vector<std::string> names;
  names.reserve(const_labels.size() + label_names.size());
  for (const auto& l : const_labels) names.push_back(l.name);
  for (const auto& n : label_names) names.push_back(n);
  std::sort(names.begin(), names.end());
  return names;
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

Family::Family(FamilyDesc desc) : desc_(std::move(desc)) {
  for (double b : desc_.buckets) le_values_.push_back(FormatDouble(b));
  padded_bounds_ = desc_.buckets;
  if (padded_bounds_.size() % 2 == 1) padded_bounds_.push_back(HUGE_VAL);
  int n_const = static_cast<int>(desc_.const_labels.size());
  int n_var = static_cast<int>(desc_.label_names.size());
  for (int i = 0; i < n_const; ++i) render_order_.push_back(i);
  for (int i = 0; i < n_var; ++i) render_order_.push_back(-i - 1);
  auto name_of = [this](int idx) -> const std::string& {
    return idx >= 0 ? desc_.const_labels[idx].name : desc_.label_names[-idx - 1];
  };
  std::sort(render_order_.begin(), render_order_.end(),
            [&](int a, int b) { return name_of(a) < name_of(b); });
}

Family::~Family() {
  uint32_t cells = CellsPerSeries();
  if (cells == 0) return;
  for (const auto& s : series_) CellSpace::Get().Release(s->slot, cells);
  if (sink_) CellSpace::Get().Release(sink_->slot, cells);
}

uint32_t Family::CellsPerSeries() const {
  if (desc_.callback) return 0;
  switch (desc_.type) {
    case MetricType::kCounter:
      return desc_.kind == ValueKind::kInt ? 1 : 2;
    case MetricType::kHistogram:
      return static_cast<uint32_t>(desc_.buckets.size()) + 2;
    case MetricType::kGauge:
      return 0;
  }
  return 0;
}

std::string Family::RenderLabelText(std::span<const std::string_view> values) const {
  std::string text;
  for (int idx : render_order_) {
    if (!text.empty()) text.push_back(',');
    if (idx >= 0) {
      text += desc_.const_labels[idx].name;
      text += "=\"";
      AppendEscapedLabelValue(text, desc_.const_labels[idx].value);
    } else {
      text += desc_.label_names[-idx - 1];
      text += "=\"";
      AppendEscapedLabelValue(text, values[-idx - 1]);
    }
    text.push_back('"');
  }
  return text;
}

StatusOr<std::unique_ptr<Series>> Family::NewSeries(uint64_t hash,
                                                    std::span<const std::string_view> values) {
  auto s = std::make_unique<Series>();
  s->hash = hash;
  s->packed_values = Series::Pack(values);
  s->label_text = RenderLabelText(values);
  uint32_t cells = CellsPerSeries();
  if (cells > 0) {
    // An int counter is one integer cell; a float counter (whole, fractional) and a histogram
    // (buckets..., +Inf, sum) end with a double cell.
    CellKind last = cells == 1 ? CellKind::kUint : CellKind::kDouble;
    auto slot = CellSpace::Get().Allocate(cells, CellKind::kUint, last);
    if (!slot.ok()) return slot.status();
    s->slot = *slot;
  }
  return s;
}

StatusOr<Series*> Family::Create(uint64_t hash, std::span<const std::string_view> values) {
  std::lock_guard lock(mu_);
  if (Series* s = table_.Find(hash, values)) return s;
  if (desc_.is_vector && series_.size() >= desc_.max_series) {
    bool first = !warned_limit_;
    warned_limit_ = true;
    if (!sink_) {
      auto sink = NewSeries(hash, values);
      if (!sink.ok()) return sink.status();
      sink_ = std::move(*sink);
    }
    OnSeriesDropped(desc_.name, first, desc_.max_series);
    return sink_.get();
  }
  auto s = NewSeries(hash, values);
  if (!s.ok()) return s.status();
  Series* raw = s->get();
  series_.push_back(std::move(*s));
  table_.Insert(raw);
  return raw;
}

void Family::SortedSeries(std::vector<const Series*>* out) {
  std::lock_guard lock(mu_);
  size_t sorted = sorted_.size();
  if (sorted < series_.size()) {
    for (size_t i = sorted; i < series_.size(); ++i) sorted_.push_back(series_[i].get());
    auto by_text = [](const Series* a, const Series* b) { return a->label_text < b->label_text; };
    std::sort(sorted_.begin() + static_cast<ptrdiff_t>(sorted), sorted_.end(), by_text);
    std::inplace_merge(sorted_.begin(), sorted_.begin() + static_cast<ptrdiff_t>(sorted),
                       sorted_.end(), by_text);
  }
  out->assign(sorted_.begin(), sorted_.end());
}

size_t Family::series_count() {
  std::lock_guard lock(mu_);
  return series_.size();
}

}  // namespace dynobs::metrics::internal
