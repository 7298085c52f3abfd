#include "dynobs/tracing/sampler.h"

#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace dynobs::tracing {
namespace {

SpanContext Parent(bool sampled, bool remote) {
  return {NewTraceId(), NewSpanId(), static_cast<uint8_t>(sampled ? kSampledFlag : 0), remote};
}

// A trace id whose least-significant 56 bits (bytes 9..15, big-endian) are `randomness`.
TraceId WithRandomness(uint64_t randomness) {
  TraceId id = NewTraceId();
  for (int i = 15; i >= 9; --i) {
    id.bytes[i] = static_cast<uint8_t>(randomness & 0xff);
    randomness >>= 8;
  }
  return id;
}

double SampledFraction(const Sampler& sampler, int n) {
  int sampled = 0;
  for (int i = 0; i < n; ++i) sampled += sampler.ShouldSample(nullptr, NewTraceId()) ? 1 : 0;
  return static_cast<double>(sampled) / n;
}

TEST(SamplerTest, DefaultIsParentBasedAlwaysOn) {
  EXPECT_EQ(Sampler(), Sampler::ParentBasedAlwaysOn());
  EXPECT_EQ(Sampler().Name(), "parentbased_always_on");
  EXPECT_EQ(Sampler().Description(), "ParentBased{root=AlwaysOnSampler}");
}

TEST(SamplerTest, AlwaysOnAndOffIgnoreTheParent) {
  for (bool sampled : {false, true}) {
    SpanContext p = Parent(sampled, true);
    EXPECT_TRUE(Sampler::AlwaysOn().ShouldSample(&p, p.trace_id()));
    EXPECT_FALSE(Sampler::AlwaysOff().ShouldSample(&p, p.trace_id()));
  }
  EXPECT_TRUE(Sampler::AlwaysOn().ShouldSample(nullptr, NewTraceId()));
  EXPECT_FALSE(Sampler::AlwaysOff().ShouldSample(nullptr, NewTraceId()));
}

TEST(SamplerTest, ParentBasedFollowsTheParentRemoteOrLocal) {
  for (const Sampler& s :
       {Sampler::ParentBasedAlwaysOn(), Sampler::ParentBasedAlwaysOff(),
        Sampler::ParentBasedTraceIdRatio(0.0), Sampler::ParentBasedTraceIdRatio(1.0)}) {
    for (bool remote : {false, true}) {
      SpanContext yes = Parent(true, remote);
      SpanContext no = Parent(false, remote);
      EXPECT_TRUE(s.ShouldSample(&yes, yes.trace_id())) << s.Description();
      EXPECT_FALSE(s.ShouldSample(&no, no.trace_id())) << s.Description();
    }
  }
}

TEST(SamplerTest, ParentBasedAsksTheRootSamplerWithoutAValidParent) {
  SpanContext invalid;
  EXPECT_TRUE(Sampler::ParentBasedAlwaysOn().ShouldSample(&invalid, NewTraceId()));
  EXPECT_FALSE(Sampler::ParentBasedAlwaysOff().ShouldSample(nullptr, NewTraceId()));
  EXPECT_FALSE(Sampler::ParentBasedTraceIdRatio(0.0).ShouldSample(nullptr, NewTraceId()));
  EXPECT_TRUE(Sampler::ParentBasedTraceIdRatio(1.0).ShouldSample(&invalid, NewTraceId()));
}

TEST(SamplerTest, TraceIdRatioIgnoresTheParent) {
  Sampler s = Sampler::TraceIdRatio(0.5);
  TraceId low = WithRandomness(0);
  TraceId high = WithRandomness((uint64_t{1} << 56) - 1);
  SpanContext sampled = Parent(true, true);
  SpanContext unsampled = Parent(false, true);
  EXPECT_FALSE(s.ShouldSample(&sampled, low));
  EXPECT_TRUE(s.ShouldSample(&unsampled, high));
}

TEST(SamplerTest, TraceIdRatioComparesTheLow56BitsWithTheRejectionThreshold) {
  // threshold = (1 - 0.25) * 2^56 = 0xc0000000000000
  Sampler s = Sampler::TraceIdRatio(0.25);
  EXPECT_TRUE(s.ShouldSample(nullptr, WithRandomness(0xc0000000000000)));
  EXPECT_FALSE(s.ShouldSample(nullptr, WithRandomness(0xbfffffffffffff)));
  // The first 9 bytes play no part.
  TraceId id = WithRandomness(0xc0000000000000);
  std::memset(id.bytes.data(), 0, 9);
  id.bytes[0] = 1;
  EXPECT_TRUE(s.ShouldSample(nullptr, id));
  EXPECT_TRUE(Sampler::TraceIdRatio(1.0).ShouldSample(nullptr, WithRandomness(0)));
  EXPECT_FALSE(
      Sampler::TraceIdRatio(0.0).ShouldSample(nullptr, WithRandomness((uint64_t{1} << 56) - 1)));
}

TEST(SamplerTest, TraceIdRatioIsDeterministicAndMonotonic) {
  for (int i = 0; i < 2000; ++i) {
    TraceId id = NewTraceId();
    bool at_10 = Sampler::TraceIdRatio(0.1).ShouldSample(nullptr, id);
    EXPECT_EQ(at_10, Sampler::TraceIdRatio(0.1).ShouldSample(nullptr, id));
    if (at_10) {
      EXPECT_TRUE(Sampler::TraceIdRatio(0.2).ShouldSample(nullptr, id));
    }
  }
}

TEST(SamplerTest, TraceIdRatioSamplesThatFractionOfRandomIds) {
  constexpr int kN = 200000;
  for (double ratio : {0.01, 0.1, 0.25, 0.5, 0.9}) {
    double got = SampledFraction(Sampler::TraceIdRatio(ratio), kN);
    // Five standard deviations of a binomial proportion: a false failure is ~1e-6.
    double tolerance = 5 * std::sqrt(ratio * (1 - ratio) / kN);
    EXPECT_NEAR(got, ratio, tolerance) << ratio;
  }
  EXPECT_EQ(SampledFraction(Sampler::TraceIdRatio(0.0), 10000), 0.0);
  EXPECT_EQ(SampledFraction(Sampler::TraceIdRatio(1.0), 10000), 1.0);
}

TEST(SamplerTest, Descriptions) {
  EXPECT_EQ(Sampler::TraceIdRatio(0.25).Description(), "TraceIdRatioBased{0.25}");
  EXPECT_EQ(Sampler::ParentBasedTraceIdRatio(0.5).Description(),
            "ParentBased{root=TraceIdRatioBased{0.5}}");
  EXPECT_EQ(Sampler::AlwaysOff().Description(), "AlwaysOffSampler");
  EXPECT_EQ(Sampler::TraceIdRatio(7).ratio(), 1.0);  // clamped
}

StatusOr<TracingConfig> Load(std::map<std::string, std::string, std::less<>> vars) {
  return LoadTracingConfig(env::Reader(env::MapSource(std::move(vars))));
}

TEST(TracingConfigTest, Defaults) {
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sampler, Sampler::ParentBasedAlwaysOn());
  EXPECT_EQ(c->service_name, "dynamo");
  EXPECT_TRUE(c->warnings.empty());
}

TEST(TracingConfigTest, StandardSamplers) {
  EXPECT_EQ(Load({{"OTEL_TRACES_SAMPLER", "always_on"}})->sampler, Sampler::AlwaysOn());
  EXPECT_EQ(Load({{"OTEL_TRACES_SAMPLER", "always_off"}})->sampler, Sampler::AlwaysOff());
  EXPECT_EQ(Load({{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}})->sampler,
            Sampler::ParentBasedAlwaysOff());
  EXPECT_EQ(Load({{"OTEL_TRACES_SAMPLER", "traceidratio"}})->sampler, Sampler::TraceIdRatio(1.0));
  EXPECT_EQ(Load({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.125"}})
                ->sampler,
            Sampler::TraceIdRatio(0.125));
  EXPECT_EQ(
      Load({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0"}})
          ->sampler,
      Sampler::ParentBasedTraceIdRatio(0.0));
  EXPECT_EQ(Load({{"OTEL_SERVICE_NAME", "dynamo-frontend"}})->service_name, "dynamo-frontend");
}

TEST(TracingConfigTest, DynamoSampleRatioMeansParentBasedTraceIdRatio) {
  auto c = Load({{"OTEL_TRACES_SAMPLE_RATIO", "0.3"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sampler, Sampler::ParentBasedTraceIdRatio(0.3));
}

TEST(TracingConfigTest, TheStandardVariableWinsWithAWarning) {
  auto c = Load({{"OTEL_TRACES_SAMPLE_RATIO", "0.3"}, {"OTEL_TRACES_SAMPLER", "always_off"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sampler, Sampler::AlwaysOff());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "OTEL_TRACES_SAMPLE_RATIO is ignored: OTEL_TRACES_SAMPLER is set and takes precedence");
}

TEST(TracingConfigTest, AnArgumentForASamplerWithoutOneIsWarnedAbout) {
  auto c = Load({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "0.5"}});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "OTEL_TRACES_SAMPLER_ARG is ignored: OTEL_TRACES_SAMPLER=always_on takes no argument");
}

TEST(TracingConfigTest, InvalidValuesNameTheVariable) {
  auto c = Load({{"OTEL_TRACES_SAMPLER", "sometimes"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "invalid OTEL_TRACES_SAMPLER=\"sometimes\": expected one of always_on, always_off, "
            "traceidratio, parentbased_always_on, parentbased_always_off, "
            "parentbased_traceidratio");
  EXPECT_FALSE(Load({{"OTEL_TRACES_SAMPLER", "ALWAYS_ON"}}).ok());
  EXPECT_FALSE(Load({{"OTEL_TRACES_SAMPLER", "jaeger_remote"}}).ok());

  c = Load({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "invalid OTEL_TRACES_SAMPLER_ARG=\"1.5\": expected a number in 0..1");
  for (std::string bad : {"-0.1", "abc", "nan", "inf", "0.5x"}) {
    c = Load({{"OTEL_TRACES_SAMPLE_RATIO", bad}});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().message(),
              "invalid OTEL_TRACES_SAMPLE_RATIO=\"" + bad + "\": expected a number in 0..1");
  }
  // Overridden, but still invalid: still an error.
  EXPECT_FALSE(
      Load({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLE_RATIO", "2"}}).ok());
}

}  // namespace
}  // namespace dynobs::tracing
