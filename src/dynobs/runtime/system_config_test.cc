#include "dynobs/runtime/system_config.h"

#include <gtest/gtest.h>

namespace dynobs::runtime {
namespace {

StatusOr<SystemConfig> Load(std::map<std::string, std::string, std::less<>> vars) {
  return LoadSystemConfig(env::Reader(env::MapSource(std::move(vars))));
}

TEST(SystemConfigTest, DefaultsAsTheSpec) {
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, -1);
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->health_path, "/health");
  EXPECT_EQ(c->live_path, "/live");
  EXPECT_EQ(c->starting_status, health::HealthStatus::kNotReady);
  EXPECT_TRUE(c->use_endpoint_health_status.empty());
  EXPECT_FALSE(c->metrics_token.has_value());
  EXPECT_EQ(c->max_series_per_family, 10000u);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(SystemConfigTest, ReadsEveryVariable) {
  auto c = Load({{"DYN_SYSTEM_PORT", "40000"},  // above i16: Dynamo cannot, dynobs can
                 {"DYN_SYSTEM_HOST", "127.0.0.1"},
                 {"DYN_SYSTEM_HEALTH_PATH", "/healthz"},
                 {"DYN_SYSTEM_LIVE_PATH", "/livez"},
                 {"DYN_SYSTEM_STARTING_HEALTH_STATUS", "ready"},
                 {"DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS", "[\"generate\",\"load_metrics\"]"},
                 {"DYN_SYSTEM_METRICS_TOKEN", "s3cret"},
                 {"DYN_METRICS_MAX_SERIES_PER_FAMILY", "500"},
                 {"DYN_SYSTEM_ENABLED", "true"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 40000);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->health_path, "/healthz");
  EXPECT_EQ(c->live_path, "/livez");
  EXPECT_EQ(c->starting_status, health::HealthStatus::kReady);
  EXPECT_EQ(c->use_endpoint_health_status, (std::vector<std::string>{"generate", "load_metrics"}));
  EXPECT_EQ(c->metrics_token, "s3cret");
  EXPECT_EQ(c->max_series_per_family, 500u);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("DYN_SYSTEM_ENABLED is deprecated"), std::string::npos);
}

TEST(SystemConfigTest, PortZeroAndMinusOne) {
  EXPECT_EQ(Load({{"DYN_SYSTEM_PORT", "0"}})->port, 0);
  EXPECT_EQ(Load({{"DYN_SYSTEM_PORT", "-1"}})->port, -1);
  EXPECT_EQ(Load({{"DYN_SYSTEM_PORT", ""}})->port, -1);  // empty is unset
}

// Decided difference 1: one line naming the variable, the value and what is accepted.
TEST(SystemConfigTest, InvalidValuesNameTheVariable) {
  struct Case {
    const char* name;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"DYN_SYSTEM_PORT", "65536",
       "invalid DYN_SYSTEM_PORT=\"65536\": expected -1 (off), 0 (a free port) or a port in "
       "1..65535"},
      {"DYN_SYSTEM_PORT", "http", nullptr},
      {"DYN_SYSTEM_PORT", "-2", nullptr},
      {"DYN_SYSTEM_STARTING_HEALTH_STATUS", "healthy",
       "invalid DYN_SYSTEM_STARTING_HEALTH_STATUS=\"healthy\": expected ready or notready"},
      {"DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS", "generate",
       "invalid DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS=\"generate\": expected a JSON array of "
       "endpoint names, e.g. [\"generate\"]"},
      {"DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS", "[1]", nullptr},
      {"DYN_SYSTEM_HEALTH_PATH", "health", nullptr},
      {"DYN_SYSTEM_LIVE_PATH", "/a b", nullptr},
      {"DYN_METRICS_MAX_SERIES_PER_FAMILY", "0", nullptr},
      {"DYN_SYSTEM_ENABLED", "maybe", nullptr},
  };
  for (const Case& c : cases) {
    auto r = Load({{c.name, c.value}});
    ASSERT_FALSE(r.ok()) << c.name << "=" << c.value;
    EXPECT_NE(r.status().message().find(c.name), std::string::npos) << r.status().message();
    if (c.message != nullptr) {
      EXPECT_EQ(r.status().message(), c.message);
    }
  }
}

TEST(SystemConfigTest, HealthAndLivePathsMustDiffer) {
  auto r = Load({{"DYN_SYSTEM_HEALTH_PATH", "/x"}, {"DYN_SYSTEM_LIVE_PATH", "/x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("must differ"), std::string::npos);
}

}  // namespace
}  // namespace dynobs::runtime
