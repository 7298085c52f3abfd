#include "dynobs/metrics/exposition.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <span>
#include <unordered_set>

#include "dynobs/metrics/diagnostics.h"
#include "dynobs/metrics/internal/cell_space.h"
#include "dynobs/metrics/number_format.h"

namespace dynobs::metrics {
namespace {

using internal::Family;
using internal::Series;
using Item = internal::ScrapeItem;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Calls f(token, q) for each element of a comma-separated header with optional ;q= weights.
template <typename F>
void ForEachWeighted(std::string_view header, F f) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string token = Lower(Trim(item.substr(0, semi)));
    double q = 1.0;
    while (semi != std::string_view::npos) {
      item = item.substr(semi + 1);
      semi = item.find(';');
      std::string param = Lower(Trim(item.substr(0, semi)));
      if (param.starts_with("q=")) q = std::strtod(param.c_str() + 2, nullptr);
    }
    if (!token.empty()) f(token, q);
  }
}

// Warns once per duplicated series (bounded, so a pathological tree cannot grow this forever).
void WarnDuplicate(const std::string& family, const std::string& labels) {
  static std::mutex mu;
  static std::unordered_set<std::string> warned;
  std::string key = labels.empty() ? family : family + "{" + labels + "}";
  {
    std::lock_guard lock(mu);
    if (warned.size() >= 10000 || !warned.insert(key).second) return;
  }
  Report(Severity::kWarn,
         "Duplicate Prometheus series while merging registries; dropping later sample",
         {{"series", key}});
}

void WarnConflict(const Family& kept, const Family& skipped) {
  static std::mutex mu;
  static std::unordered_set<std::string> warned;
  {
    std::lock_guard lock(mu);
    if (warned.size() >= 10000 || !warned.insert(kept.desc().name).second) return;
  }
  Report(Severity::kWarn,
         "Metric family has inconsistent help/type across registries; keeping the first",
         {{"family", kept.desc().name}, {"skipped_type", MetricTypeName(skipped.desc().type)}});
}

void AppendHelp(std::string& out, std::string_view help, bool escape_quotes) {
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && escape_quotes)
      out += "\\\"";
    else
      out.push_back(c);
  }
}

class Renderer {
 public:
  Renderer(std::string& out, const internal::CellSnapshot& cells, ExpositionFormat format)
      : out_(out), cells_(cells), om_(format == ExpositionFormat::kOpenMetrics) {}

  void Family(const internal::Family& f, std::span<const Item> items) {
    const auto& d = f.desc();
    std::string_view family_name = d.name;
    std::string_view type = MetricTypeName(d.type);
    if (om_ && d.type == MetricType::kCounter) {
      if (family_name.ends_with("_total")) {
        family_name.remove_suffix(6);
      } else {
        type = "unknown";  // keeps the Dynamo name; an OpenMetrics counter would add _total
      }
    }
    out_ += "# HELP ";
    out_ += family_name;
    out_ += ' ';
    AppendHelp(out_, d.help, om_);
    out_ += "\n# TYPE ";
    out_ += family_name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
    for (const Item& it : items) Series(*it.family, *it.series);
  }

 private:
  void Series(const internal::Family& f, const internal::Series& s) {
    const auto& d = f.desc();
    switch (d.type) {
      case MetricType::kCounter:
        StartSample(d.name, {}, s.label_text);
        if (d.callback)
          AppendDouble(out_, d.callback());
        else if (d.kind == ValueKind::kInt)
          AppendUint(out_, cells_[s.slot]);
        else
          AppendDouble(out_, static_cast<double>(cells_[s.slot]) +
                                 std::bit_cast<double>(cells_[s.slot + 1]));
        break;
      case MetricType::kGauge:
        StartSample(d.name, {}, s.label_text);
        if (d.callback)
          AppendDouble(out_, d.callback());
        else if (d.kind == ValueKind::kInt)
          AppendInt(out_, s.int_value.load(std::memory_order_relaxed));
        else
          AppendDouble(out_, std::bit_cast<double>(s.float_bits.load(std::memory_order_relaxed)));
        break;
      case MetricType::kHistogram:
        HistogramSeries(f, s);
        return;
    }
    out_ += '\n';
  }

  void HistogramSeries(const internal::Family& f, const internal::Series& s) {
    const auto& le = f.le_values();
    size_t n = le.size();
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= n; ++i) {
      cumulative += cells_[s.slot + i];
      StartSample(f.desc().name, "_bucket", s.label_text, i < n ? std::string_view(le[i]) : "+Inf");
      AppendUint(out_, cumulative);
      out_ += '\n';
    }
    StartSample(f.desc().name, "_sum", s.label_text);
    AppendDouble(out_, std::bit_cast<double>(cells_[s.slot + n + 1]));
    out_ += '\n';
    StartSample(f.desc().name, "_count", s.label_text);
    AppendUint(out_, cumulative);
    out_ += '\n';
  }

  // `name[suffix]{labels[,le="x"]} ` up to the value.
  void StartSample(std::string_view name, std::string_view suffix, std::string_view labels,
                   std::string_view le = {}) {
    out_ += name;
    out_ += suffix;
    if (!labels.empty() || !le.empty()) {
      out_ += '{';
      out_ += labels;
      if (!le.empty()) {
        if (!labels.empty()) out_ += ',';
        out_ += "le=\"";
        out_ += le;
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  std::string& out_;
  const internal::CellSnapshot& cells_;
  bool om_;
};

void CollectRegistries(const Registry& r, std::unordered_set<const Registry*>& seen,
                       std::vector<const Registry*>& order,
                       std::vector<std::shared_ptr<Registry>>& keep_alive) {
  if (!seen.insert(&r).second) return;
  order.push_back(&r);
  for (auto& child : r.children()) {
    keep_alive.push_back(child);
    CollectRegistries(*child, seen, order, keep_alive);
  }
}

}  // namespace

std::string_view ContentType(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

ExpositionFormat NegotiateFormat(std::string_view accept) {
  double q_open_metrics = 0;
  double q_text = 0;
  ForEachWeighted(accept, [&](const std::string& type, double q) {
    if (type == "application/openmetrics-text") q_open_metrics = std::max(q_open_metrics, q);
    if (type == "text/plain" || type == "text/*" || type == "*/*") q_text = std::max(q_text, q);
  });
  return q_open_metrics > 0 && q_open_metrics >= q_text ? ExpositionFormat::kOpenMetrics
                                                        : ExpositionFormat::kPrometheusText;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  bool gzip = false;
  ForEachWeighted(accept_encoding, [&](const std::string& token, double q) {
    if ((token == "gzip" || token == "x-gzip" || token == "*") && q > 0) gzip = true;
  });
  return gzip;
}

void Scraper::CollectGroups(const std::vector<const Registry*>& registries) {
  // All families in DFS registry order; a stable sort by name groups equal names in that order.
  std::vector<Family*> families;
  for (const Registry* r : registries) {
    for (Family* f : r->families()) families.push_back(f);
  }
  std::stable_sort(families.begin(), families.end(), [](const Family* a, const Family* b) {
    return a->desc().name < b->desc().name;
  });
  items_.clear();
  groups_.clear();
  for (size_t i = 0; i < families.size();) {
    size_t j = i + 1;
    while (j < families.size() && families[j]->desc().name == families[i]->desc().name) ++j;
    const Family& first = *families[i];
    size_t begin = items_.size();
    for (size_t k = i; k < j; ++k) {
      Family* f = families[k];
      if (k > i && (f->desc().type != first.desc().type || f->desc().help != first.desc().help)) {
        WarnConflict(first, *f);
        continue;
      }
      f->SortedSeries(&series_);
      for (const Series* s : series_) items_.push_back({s, f});
    }
    auto group_begin = items_.begin() + static_cast<ptrdiff_t>(begin);
    if (j - i > 1) {  // several registries: merge their series, first one of a duplicate wins
      std::stable_sort(group_begin, items_.end(), [](const Item& a, const Item& b) {
        return a.series->label_text < b.series->label_text;
      });
      auto dup = std::unique(group_begin, items_.end(), [](const Item& a, const Item& b) {
        if (a.series->label_text != b.series->label_text) return false;
        WarnDuplicate(b.family->desc().name, b.series->label_text);
        return true;
      });
      items_.erase(dup, items_.end());
    }
    if (items_.size() > begin) groups_.push_back({&first, begin, items_.size()});
    i = j;
  }
}

Exposition Scraper::Scrape(const Registry& root, ExpositionFormat format) {
  std::unordered_set<const Registry*> seen;
  std::vector<const Registry*> registries;
  std::vector<std::shared_ptr<Registry>> keep_alive;
  CollectRegistries(root, seen, registries, keep_alive);

  for (const Registry* r : registries) r->RunUpdateCallbacks();
  std::vector<std::string> appended;
  for (const Registry* r : registries) r->AppendExpositionText(&appended);
  if (!appended.empty()) format = ExpositionFormat::kPrometheusText;

  CollectGroups(registries);
  cells_.ClearWanted();
  for (const Item& it : items_) {
    if (it.family->HasCells()) cells_.Want(it.series->slot);
  }
  internal::CellSpace::Get().Snapshot(&cells_);

  Exposition result;
  result.format = format;
  std::string& out = result.body;
  out.reserve(last_size_ + last_size_ / 8 + 1024);
  Renderer renderer(out, cells_, format);
  for (const auto& g : groups_) {
    renderer.Family(*g.first, std::span<const Item>(items_.data() + g.begin, g.end - g.begin));
  }
  for (const std::string& piece : appended) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += piece;
  }
  if (format == ExpositionFormat::kOpenMetrics) out += "# EOF\n";
  last_size_ = out.size();
  return result;
}

std::string ScrapeText(const Registry& root) {
  Scraper scraper;
  return scraper.Scrape(root, ExpositionFormat::kPrometheusText).body;
}

}  // namespace dynobs::metrics
