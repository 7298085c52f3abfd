#include "dynobs/metrics/naive_baseline.h"

#include <sstream>

namespace dynobs::metrics::bench {

NaiveFamily::NaiveFamily(std::string name, std::vector<std::string> label_names, bool histogram,
                         std::vector<double> bounds)
    : name_(std::move(name)),
      label_names_(std::move(label_names)),
      histogram_(histogram),
      bounds_(std::move(bounds)) {}

void NaiveFamily::Handle::Observe(double v) const {
  std::lock_guard lock(family_->mu_);
  size_t i = 0;
  while (i < family_->bounds_.size() && v > family_->bounds_[i]) ++i;
  series_->buckets[i]++;
  series_->sum += v;
}

NaiveFamily::Handle NaiveFamily::WithLabelValues(const std::vector<std::string_view>& values) {
  std::vector<std::string> key(values.begin(), values.end());
  std::lock_guard lock(mu_);
  auto [it, inserted] = series_.try_emplace(std::move(key));
  if (inserted && histogram_) it->second.buckets.assign(bounds_.size() + 1, 0);
  return Handle(this, &it->second);
}

void NaiveFamily::Render(std::string* out) {
  std::ostringstream os;
  std::lock_guard lock(mu_);
  os << "# HELP " << name_ << " help\n# TYPE " << name_
     << (histogram_ ? " histogram\n" : " counter\n");
  for (const auto& [values, s] : series_) {
    std::ostringstream labels;
    for (size_t i = 0; i < values.size(); ++i) {
      labels << (i ? "," : "") << label_names_[i] << "=\"" << values[i] << '"';
    }
    if (!histogram_) {
      os << name_ << '{' << labels.str() << "} " << s.value << '\n';
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= bounds_.size(); ++b) {
      cumulative += s.buckets[b];
      os << name_ << "_bucket{" << labels.str() << (values.empty() ? "" : ",") << "le=\"";
      if (b < bounds_.size())
        os << bounds_[b];
      else
        os << "+Inf";
      os << "\"} " << cumulative << '\n';
    }
    os << name_ << "_sum{" << labels.str() << "} " << s.sum << '\n';
    os << name_ << "_count{" << labels.str() << "} " << cumulative << '\n';
  }
  *out = os.str();
}

}  // namespace dynobs::metrics::bench
