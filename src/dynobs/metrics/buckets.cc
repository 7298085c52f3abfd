#include "dynobs/metrics/buckets.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dynobs::metrics {

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

StatusOr<std::vector<double>> LinearBuckets(double start, double width, size_t count) {
  if (count < 1 || !(width > 0) || !std::isfinite(start) || !std::isfinite(width)) {
    return InvalidArgumentError(fmt::format(
        "linear buckets need count >= 1 and width > 0 (got start {}, width {}, count {})", start,
        width, count));
  }
  std::vector<double> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = start + width * static_cast<double>(i);
  return out;
}

StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor, size_t count) {
  if (count < 1 || !(start > 0) || !(factor > 1) || !std::isfinite(start) ||
      !std::isfinite(factor)) {
    return InvalidArgumentError(fmt::format(
        "exponential buckets need count >= 1, start > 0 and factor > 1 (got {}, {}, {})", start,
        factor, count));
  }
  std::vector<double> out(count);
  double next = start;
  for (size_t i = 0; i < count; ++i) {
    out[i] = next;
    next *= factor;
  }
  return out;
}

double RoundToTwoSignificantFigures(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  int exponent = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  int shift = 1 - exponent;  // digits to move so that two significant figures are integral
  if (shift >= 0) {
    double scale = std::pow(10.0, shift);
    return std::round(v * scale) / scale;
  }
  double scale = std::pow(10.0, -shift);
  return std::round(v / scale) * scale;
}

bool IsValidLogBucketSpec(const LogBucketSpec& s) {
  return std::isfinite(s.min) && std::isfinite(s.max) && s.min > 0 && s.min < s.max &&
         s.count >= 1 && s.count <= 512;
}

std::vector<double> LogBuckets(const LogBucketSpec& spec) {
  LogBucketSpec s = IsValidLogBucketSpec(spec) ? spec : LogBucketSpec{1, 10, 10};
  std::vector<double> out{0.0};
  double log_min = std::log(s.min);
  double log_max = std::log(s.max);
  for (size_t i = 1; i < s.count; ++i) {
    double t = static_cast<double>(i) / static_cast<double>(s.count - 1);
    double v = RoundToTwoSignificantFigures(std::exp(log_min + (log_max - log_min) * t));
    if (v != out.back()) out.push_back(v);
  }
  return out;
}

StatusOr<std::vector<double>> ValidateBuckets(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) {
    bounds.pop_back();
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return InvalidArgumentError(fmt::format("bucket bound {} is not finite", bounds[i]));
    }
    if (i > 0 && !(bounds[i] > bounds[i - 1])) {
      return InvalidArgumentError(fmt::format(
          "bucket bounds must increase strictly ({} follows {})", bounds[i], bounds[i - 1]));
    }
  }
  if (bounds.size() + 2 > 4096) return InvalidArgumentError("too many bucket bounds (max 4094)");
  return bounds;
}

}  // namespace dynobs::metrics
