#include "dynobs/metrics/names.h"

#include <gtest/gtest.h>

namespace dynobs::metrics {
namespace {

// The examples of spec §2.4.
TEST(SanitizeMetricNameTest, SpecExamples) {
  EXPECT_EQ(*SanitizeMetricName("test.name"), "test_name");
  EXPECT_EQ(*SanitizeMetricName("123test"), "_123test");
  EXPECT_EQ(*SanitizeMetricName("@test"), "_test");
  EXPECT_EQ(*SanitizeMetricName("123.test-name@domain"), "_123_test_name_domain");
  EXPECT_FALSE(SanitizeMetricName("@#$%").ok());
  EXPECT_FALSE(SanitizeMetricName("").ok());
}

TEST(SanitizeMetricNameTest, KeepsColonsAndDoubleUnderscores) {
  EXPECT_EQ(*SanitizeMetricName("vllm:num_requests"), "vllm:num_requests");
  EXPECT_EQ(*SanitizeMetricName("a__b"), "a__b");
  EXPECT_EQ(*SanitizeMetricName(":x"), "_:x");  // ':' is not a valid first char here
}

TEST(SanitizeLabelNameTest, SpecExamples) {
  EXPECT_EQ(*SanitizeLabelName("test:label"), "test_label");
  EXPECT_EQ(*SanitizeLabelName("__test"), "test");
  EXPECT_EQ(*SanitizeLabelName(":test"), "_test");
  EXPECT_FALSE(SanitizeLabelName("____").ok());
  // Auto-label values of §2.3.
  EXPECT_EQ(*SanitizeLabelName("my-ns"), "my_ns");
  EXPECT_EQ(*SanitizeLabelName("a.b"), "a_b");
  EXPECT_EQ(*SanitizeLabelName("@@123"), "_123");
}

TEST(ValidNamesTest, StrictChecks) {
  EXPECT_TRUE(IsValidMetricName("dynamo_component_requests_total"));
  EXPECT_TRUE(IsValidMetricName("vllm:x"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName("1x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("model"));
  EXPECT_TRUE(IsValidLabelName("_x"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("9a"));
}

TEST(ValidNamesTest, AutoLabels) {
  for (const char* n : {"dynamo_namespace", "dynamo_component", "dynamo_endpoint", "worker_id"}) {
    EXPECT_TRUE(IsAutoLabel(n));
  }
  EXPECT_FALSE(IsAutoLabel("model"));
}

}  // namespace
}  // namespace dynobs::metrics
