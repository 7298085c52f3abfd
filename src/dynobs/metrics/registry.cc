#include "dynobs/metrics/registry.h"

#include <algorithm>
#include <atomic>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dynobs/metrics/buckets.h"
#include "dynobs/metrics/diagnostics.h"
#include "dynobs/metrics/names.h"

namespace dynobs::metrics {
namespace {

std::atomic<size_t> g_default_series_limit{10000};
constexpr std::string_view kDroppedFamily = "dynamo_metrics_series_dropped_total";

Status ValidateDesc(internal::FamilyDesc& d) {
  if (!IsValidMetricName(d.name)) {
    return InvalidArgumentError(
        fmt::format("invalid metric name \"{}\": must match [a-zA-Z_:][a-zA-Z0-9_:]*", d.name));
  }
  std::set<std::string_view> seen;
  for (const auto& l : d.const_labels) {
    if (!IsValidLabelName(l.name)) {
      return InvalidArgumentError(fmt::format(
          "invalid label name \"{}\" on {}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start "
          "with __",
          l.name, d.name));
    }
    if (!seen.insert(l.name).second) {
      return InvalidArgumentError(fmt::format("Duplicate label key '{}' found in labels", l.name));
    }
  }
  for (const auto& n : d.label_names) {
    if (!IsValidLabelName(n)) {
      return InvalidArgumentError(fmt::format(
          "invalid label name \"{}\" on {}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start "
          "with __",
          n, d.name));
    }
    if (!seen.insert(n).second) {
      return InvalidArgumentError(fmt::format(
          "label \"{}\" appears twice on {} (const and variable labels share names)", n, d.name));
    }
  }
  if (d.type == MetricType::kHistogram && seen.contains("le")) {
    return InvalidArgumentError(fmt::format("label \"le\" is reserved on histogram {}", d.name));
  }
  if (d.is_vector && d.label_names.empty()) {
    return InvalidArgumentError(
        fmt::format("vector metric {} needs at least one variable label name", d.name));
  }
  if (!d.is_vector && !d.label_names.empty()) {
    return InvalidArgumentError(
        fmt::format("{} is not a vector metric and takes no variable labels", d.name));
  }
  if (d.type != MetricType::kHistogram && !d.buckets.empty()) {
    return InvalidArgumentError(fmt::format("{} is not a histogram and takes no buckets", d.name));
  }
  if (d.type == MetricType::kHistogram) {
    if (d.buckets.empty()) d.buckets = DefaultBuckets();
    auto b = ValidateBuckets(std::move(d.buckets));
    if (!b.ok()) return InvalidArgumentError(fmt::format("{}: {}", d.name, b.status().message()));
    d.buckets = std::move(*b);
  }
  return Status::Ok();
}

internal::FamilyDesc DescFrom(MetricSpec spec, MetricType type, ValueKind kind, bool is_vector) {
  internal::FamilyDesc d;
  d.name = std::move(spec.name);
  d.help = std::move(spec.help);
  d.type = type;
  d.kind = kind;
  d.const_labels = std::move(spec.const_labels);
  d.label_names = std::move(spec.label_names);
  d.buckets = std::move(spec.buckets);
  d.is_vector = is_vector;
  d.max_series = spec.max_series != 0 ? spec.max_series : DefaultSeriesLimit();
  return d;
}

}  // namespace

namespace internal {

Status FamilyCatalog::Claim(const FamilyDesc& desc) {
  std::vector<std::string> names = desc.AllLabelNamesSorted();
  std::lock_guard lock(mu_);
  auto it = entries_.find(desc.name);
  if (it == entries_.end()) {
    entries_.emplace(desc.name, Entry{desc.type, desc.help, std::move(names)});
    return Status::Ok();
  }
  const Entry& e = it->second;
  if (e.type != desc.type) {
    return AlreadyExistsError(fmt::format("metric {} is already registered as a {}, not a {}",
                                          desc.name, MetricTypeName(e.type),
                                          MetricTypeName(desc.type)));
  }
  if (e.help != desc.help) {
    return AlreadyExistsError(
        fmt::format("metric {} is already registered with help \"{}\", not \"{}\"", desc.name,
                    e.help, desc.help));
  }
  if (e.label_names != names) {
    return AlreadyExistsError(
        fmt::format("metric {} is already registered with labels [{}], not [{}]", desc.name,
                    fmt::join(e.label_names, ","), fmt::join(names, ",")));
  }
  return Status::Ok();
}

void OnSeriesDropped(std::string_view family, bool first_time, size_t limit) {
  if (family == kDroppedFamily) return;  // never recurse into ourselves
  static const CounterVec dropped = [] {
    auto v = SelfMetricsRegistry()->CreateCounterVec(
        {.name = std::string(kDroppedFamily),
         .help = "Label sets refused because their family reached its series limit",
         .label_names = {"family"}});
    return v.ok() ? *v : CounterVec();
  }();
  if (auto c = dropped.WithLabelValues({family}); c.ok()) c->Inc();
  if (first_time) {
    std::string limit_text = std::to_string(limit);
    Report(Severity::kWarn,
           "metric family reached its series limit; new label sets are dropped (counted in "
           "dynamo_metrics_series_dropped_total)",
           {{"family", family}, {"limit", limit_text}});
  }
}

}  // namespace internal

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void SetDefaultSeriesLimit(size_t limit) {
  g_default_series_limit.store(std::max<size_t>(1, limit));
}
size_t DefaultSeriesLimit() { return g_default_series_limit.load(); }

std::shared_ptr<Registry> SelfMetricsRegistry() {
  static auto* self = new std::shared_ptr<Registry>(std::make_shared<Registry>());
  return *self;
}

Registry::Registry() : Registry(std::make_shared<internal::FamilyCatalog>()) {}
Registry::Registry(std::shared_ptr<internal::FamilyCatalog> catalog)
    : catalog_(std::move(catalog)) {}
Registry::~Registry() = default;

StatusOr<internal::Family*> Registry::Register(internal::FamilyDesc desc) {
  if (Status s = ValidateDesc(desc); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (families_.contains(desc.name)) {
    return AlreadyExistsError(
        fmt::format("Failed to register metric: {} is already registered here", desc.name));
  }
  if (Status s = catalog_->Claim(desc); !s.ok()) return s;
  auto family = std::make_unique<internal::Family>(std::move(desc));
  internal::Family* raw = family.get();
  if (!raw->desc().is_vector) {
    auto series = raw->GetOrCreate({});
    if (!series.ok()) return series.status();
  }
  families_.emplace(raw->desc().name, std::move(family));
  return raw;
}

template <typename Handle>
StatusOr<Handle> Registry::CreateScalar(MetricSpec spec, MetricType type, ValueKind kind) {
  auto family = Register(DescFrom(std::move(spec), type, kind, /*is_vector=*/false));
  if (!family.ok()) return family.status();
  auto series = (*family)->GetOrCreate({});
  if (!series.ok()) return series.status();
  return internal::MakeHandle<Handle>(**family, *series);
}

template <typename Handle>
StatusOr<MetricVec<Handle>> Registry::CreateVec(MetricSpec spec, MetricType type, ValueKind kind) {
  auto family = Register(DescFrom(std::move(spec), type, kind, /*is_vector=*/true));
  if (!family.ok()) return family.status();
  return MetricVec<Handle>(*family);
}

StatusOr<Counter> Registry::CreateCounter(MetricSpec spec) {
  return CreateScalar<Counter>(std::move(spec), MetricType::kCounter, ValueKind::kFloat);
}
StatusOr<IntCounter> Registry::CreateIntCounter(MetricSpec spec) {
  return CreateScalar<IntCounter>(std::move(spec), MetricType::kCounter, ValueKind::kInt);
}
StatusOr<Gauge> Registry::CreateGauge(MetricSpec spec) {
  return CreateScalar<Gauge>(std::move(spec), MetricType::kGauge, ValueKind::kFloat);
}
StatusOr<IntGauge> Registry::CreateIntGauge(MetricSpec spec) {
  return CreateScalar<IntGauge>(std::move(spec), MetricType::kGauge, ValueKind::kInt);
}
StatusOr<Histogram> Registry::CreateHistogram(MetricSpec spec) {
  return CreateScalar<Histogram>(std::move(spec), MetricType::kHistogram, ValueKind::kFloat);
}
StatusOr<CounterVec> Registry::CreateCounterVec(MetricSpec spec) {
  return CreateVec<Counter>(std::move(spec), MetricType::kCounter, ValueKind::kFloat);
}
StatusOr<IntCounterVec> Registry::CreateIntCounterVec(MetricSpec spec) {
  return CreateVec<IntCounter>(std::move(spec), MetricType::kCounter, ValueKind::kInt);
}
StatusOr<GaugeVec> Registry::CreateGaugeVec(MetricSpec spec) {
  return CreateVec<Gauge>(std::move(spec), MetricType::kGauge, ValueKind::kFloat);
}
StatusOr<IntGaugeVec> Registry::CreateIntGaugeVec(MetricSpec spec) {
  return CreateVec<IntGauge>(std::move(spec), MetricType::kGauge, ValueKind::kInt);
}
StatusOr<HistogramVec> Registry::CreateHistogramVec(MetricSpec spec) {
  return CreateVec<Histogram>(std::move(spec), MetricType::kHistogram, ValueKind::kFloat);
}

Status Registry::CreateCallbackGauge(MetricSpec spec, std::function<double()> read) {
  auto d = DescFrom(std::move(spec), MetricType::kGauge, ValueKind::kFloat, false);
  d.callback = std::move(read);
  return Register(std::move(d)).status();
}

Status Registry::CreateCallbackCounter(MetricSpec spec, std::function<double()> read) {
  auto d = DescFrom(std::move(spec), MetricType::kCounter, ValueKind::kFloat, false);
  d.callback = std::move(read);
  return Register(std::move(d)).status();
}

void Registry::AddChild(std::shared_ptr<Registry> child) {
  if (child.get() == this) return;
  std::lock_guard lock(mu_);
  if (std::find(children_.begin(), children_.end(), child) == children_.end()) {
    children_.push_back(std::move(child));
  }
}

void Registry::AddUpdateCallback(std::function<Status()> callback) {
  std::lock_guard lock(mu_);
  update_callbacks_.push_back(std::move(callback));
}

void Registry::AddExpositionCallback(std::function<StatusOr<std::string>()> callback) {
  std::lock_guard lock(mu_);
  exposition_callbacks_.push_back(std::move(callback));
}

std::vector<std::shared_ptr<Registry>> Registry::children() const {
  std::lock_guard lock(mu_);
  return children_;
}

std::vector<internal::Family*> Registry::families() const {
  std::lock_guard lock(mu_);
  std::vector<internal::Family*> out;
  out.reserve(families_.size());
  for (const auto& [name, f] : families_) out.push_back(f.get());
  return out;
}

void Registry::RunUpdateCallbacks() const {
  std::vector<std::function<Status()>> callbacks;
  {
    std::lock_guard lock(mu_);
    callbacks = update_callbacks_;
  }
  for (const auto& cb : callbacks) {
    if (Status s = cb(); !s.ok()) {
      Report(Severity::kError, "Error executing metrics callback", {{"error", s.message()}});
    }
  }
}

void Registry::AppendExpositionText(std::vector<std::string>* pieces) const {
  std::vector<std::function<StatusOr<std::string>()>> callbacks;
  {
    std::lock_guard lock(mu_);
    callbacks = exposition_callbacks_;
  }
  for (const auto& cb : callbacks) {
    auto text = cb();
    if (!text.ok()) {
      Report(Severity::kError, "Error executing metrics callback",
             {{"error", text.status().message()}});
    } else if (!text->empty()) {
      pieces->push_back(std::move(*text));
    }
  }
}

}  // namespace dynobs::metrics
