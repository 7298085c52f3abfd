#include "dynobs/metrics/buckets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dynobs/metrics/number_format.h"

namespace dynobs::metrics {
namespace {

std::string Les(const std::vector<double>& bounds) {
  std::string out;
  for (double b : bounds) {
    if (!out.empty()) out += ", ";
    AppendDouble(out, b);
  }
  return out;
}

// Every row of spec §3.14, compared as the `le` strings a scrape shows.
TEST(BucketsTest, PrometheusDefaults) {
  EXPECT_EQ(Les(DefaultBuckets()), "0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10");
}

TEST(BucketsTest, WorkHandlerRequestDuration) {
  std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,  2.5,
                           5,     10,   20,    30,   60,  120,  300, 600};
  EXPECT_EQ(Les(b),
            "0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, "
            "300, 600");
}

TEST(BucketsTest, LogFrontendRequestDuration) {
  EXPECT_EQ(Les(LogBuckets({1, 512, 10})), "0, 2, 4, 8, 16, 32, 64, 130, 260, 510");
}

TEST(BucketsTest, LogInputSequence) {
  EXPECT_EQ(Les(LogBuckets({50, 128000, 12})),
            "0, 100, 210, 430, 870, 1800, 3600, 7400, 15000, 31000, 63000, 130000");
}

TEST(BucketsTest, LogOutputSequence) {
  EXPECT_EQ(Les(LogBuckets({50, 32000, 10})),
            "0, 100, 210, 430, 880, 1800, 3700, 7600, 16000, 32000");
}

TEST(BucketsTest, LogTimeToFirstToken) {
  EXPECT_EQ(Les(LogBuckets({0.001, 480, 18})),
            "0, 0.0022, 0.0047, 0.01, 0.022, 0.047, 0.1, 0.22, 0.47, 1, 2.2, 4.7, 10, 22, 48, 100, "
            "220, 480");
}

TEST(BucketsTest, LogInterTokenLatency) {
  EXPECT_EQ(Les(LogBuckets({0.001, 2, 13})),
            "0, 0.0019, 0.0035, 0.0067, 0.013, 0.024, 0.045, 0.084, 0.16, 0.3, 0.56, 1.1, 2");
}

TEST(BucketsTest, LogKvTransferLatency) {
  EXPECT_EQ(Les(LogBuckets({0.001, 10, 15})),
            "0, 0.0019, 0.0037, 0.0072, 0.014, 0.027, 0.052, 0.1, 0.19, 0.37, 0.72, 1.4, 2.7, 5.2, "
            "10");
}

TEST(BucketsTest, LinearKvHitRate) {
  EXPECT_EQ(Les(*LinearBuckets(0, 0.05, 21)),
            "0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.25, 0.30000000000000004, "
            "0.35000000000000003, 0.4, 0.45, 0.5, 0.55, 0.6000000000000001, 0.65, "
            "0.7000000000000001, 0.75, 0.8, 0.8500000000000001, 0.9, 0.9500000000000001, 1");
}

TEST(BucketsTest, ExponentialOverheadHashing) {
  EXPECT_EQ(Les(*ExponentialBuckets(0.001, 2, 15)),
            "0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, "
            "4.096, 8.192, 16.384");
}

TEST(BucketsTest, ExponentialOverheadFind) {
  EXPECT_EQ(Les(*ExponentialBuckets(0.01, 3, 17)),
            "0.01, 0.03, 0.09, 0.27, 0.81, 2.43, 7.290000000000001, 21.870000000000005, "
            "65.61000000000001, 196.83000000000004, 590.4900000000001, 1771.4700000000003, "
            "5314.410000000001, 15943.230000000003, 47829.69000000001, 143489.07000000004, "
            "430467.2100000001");
}

TEST(BucketsTest, ExponentialKvIndexerDuration) {
  auto b = *ExponentialBuckets(0.0001, 2, 20);
  ASSERT_EQ(b.size(), 20u);
  EXPECT_EQ(FormatDouble(b.front()), "0.0001");
  EXPECT_EQ(FormatDouble(b.back()), "52.4288");
}

TEST(BucketsTest, TokenizerLatencyMs) {
  std::vector<double> b = {0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  EXPECT_EQ(Les(b), "0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512");
}

TEST(BucketsTest, InvalidLogSpecFallsBackToOneToTen) {
  EXPECT_FALSE(IsValidLogBucketSpec({0, 10, 5}));
  EXPECT_FALSE(IsValidLogBucketSpec({10, 1, 5}));
  EXPECT_FALSE(IsValidLogBucketSpec({1, 10, 0}));
  EXPECT_FALSE(IsValidLogBucketSpec({1, 10, 513}));
  EXPECT_EQ(LogBuckets({-1, 10, 5}), LogBuckets({1, 10, 10}));
}

TEST(BucketsTest, LogRemovesConsecutiveDuplicates) {
  auto b = LogBuckets({1, 2, 50});
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

TEST(BucketsTest, RoundingIsHalfAwayFromZero) {
  EXPECT_EQ(RoundToTwoSignificantFigures(0.125), 0.13);
  EXPECT_EQ(RoundToTwoSignificantFigures(125), 130);
  EXPECT_EQ(RoundToTwoSignificantFigures(-125), -130);
  EXPECT_EQ(RoundToTwoSignificantFigures(0), 0);
}

TEST(BucketsTest, GeneratorsRejectBadArguments) {
  EXPECT_FALSE(LinearBuckets(0, 0, 3).ok());
  EXPECT_FALSE(LinearBuckets(0, 1, 0).ok());
  EXPECT_FALSE(ExponentialBuckets(0, 2, 3).ok());
  EXPECT_FALSE(ExponentialBuckets(1, 1, 3).ok());
}

TEST(BucketsTest, ValidateRequiresStrictlyIncreasingFiniteBounds) {
  EXPECT_FALSE(ValidateBuckets({1, 1}).ok());
  EXPECT_FALSE(ValidateBuckets({2, 1}).ok());
  EXPECT_FALSE(ValidateBuckets({1, std::numeric_limits<double>::quiet_NaN()}).ok());
  auto b = ValidateBuckets({1, 2, std::numeric_limits<double>::infinity()});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<double>{1, 2}));
}

}  // namespace
}  // namespace dynobs::metrics
