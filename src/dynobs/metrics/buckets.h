#pragma once

#include <cstddef>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::metrics {

// Histogram bucket bounds (upper bounds, without the implicit +Inf). Each generator uses the same
// IEEE-754 operations as Dynamo's Rust code so that the `le` strings come out byte-identical
// (spec §3.14).

// 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10.
[[nodiscard]] std::vector<double> DefaultBuckets();

// start + width * i for i in 0..count-1 (multiply, not repeated add). count >= 1, width > 0.
[[nodiscard]] StatusOr<std::vector<double>> LinearBuckets(double start, double width, size_t count);

// start, start*factor, start*factor*factor, ... (repeated multiply). start > 0, factor > 1.
[[nodiscard]] StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor,
                                                               size_t count);

// Dynamo's generate_log_buckets(min, max, count): 0, then count-1 log-spaced values
// exp(ln(min) + (ln(max)-ln(min)) * i/(count-1)), i = 1..count-1, each rounded to 2 significant
// figures (half away from zero), consecutive duplicates removed. Invalid arguments (min <= 0,
// min >= max, not finite, count outside 1..512) fall back to `fallback`.
struct LogBucketSpec {
  double min;
  double max;
  size_t count;
};
[[nodiscard]] bool IsValidLogBucketSpec(const LogBucketSpec& spec);
[[nodiscard]] std::vector<double> LogBuckets(const LogBucketSpec& spec);

// Rounds to two significant figures, half away from zero; exact decimal results where the
// double can hold them (0.0022, not 0.0022000000000000001).
[[nodiscard]] double RoundToTwoSignificantFigures(double v);

// Checks bounds for a histogram: finite, strictly increasing; a trailing +Inf is removed.
[[nodiscard]] StatusOr<std::vector<double>> ValidateBuckets(std::vector<double> bounds);

}  // namespace dynobs::metrics
