#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::metrics::bench {

// The baseline the benchmarks compare against: what a straightforward metrics library does.
// One mutex-protected std::map per family, keyed by the label values; handles are pointers into
// the map, and every record locks the family mutex; rendering goes through std::ostringstream.
// Only for metrics_bench; never used by dynobs itself.
class NaiveFamily {
 public:
  struct Series {
    double value = 0;               // counters
    std::vector<uint64_t> buckets;  // histograms (non-cumulative, +Inf last)
    double sum = 0;
  };
  class Handle {
   public:
    Handle(NaiveFamily* f, Series* s) : family_(f), series_(s) {}
    void Inc(double v = 1) const {
      std::lock_guard lock(family_->mu_);
      series_->value += v;
    }
    void Observe(double v) const;

   private:
    NaiveFamily* family_;
    Series* series_;
  };

  NaiveFamily(std::string name, std::vector<std::string> label_names, bool histogram,
              std::vector<double> bounds = {});
  Handle WithLabelValues(const std::vector<std::string_view>& values);
  void Render(std::string* out);

 private:
  std::string name_;
  std::vector<std::string> label_names_;
  bool histogram_;
  std::vector<double> bounds_;
  std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;
};

}  // namespace dynobs::metrics::bench
