#include "dynobs/health/system_health.h"

#include <gtest/gtest.h>

#include <regex>

namespace dynobs::health {
namespace {

TEST(SystemHealthTest, StartingStatusDecidesWithoutEndpoints) {
  SystemHealth notready(HealthStatus::kNotReady, {});
  EXPECT_FALSE(notready.IsReady());
  EXPECT_TRUE(std::regex_match(
      notready.HealthBody(),
      std::regex(R"(\{"endpoints":\{\},"status":"notready","uptime":\{"nanos":\d+,"secs":0\}\})")));
  SystemHealth ready(HealthStatus::kReady, {});
  EXPECT_TRUE(ready.IsReady());
  ready.SetSystemStatus(HealthStatus::kNotReady);
  EXPECT_FALSE(ready.IsReady());
}

TEST(SystemHealthTest, EndpointsListedSortedWhetherCountedOrNot) {
  SystemHealth h(HealthStatus::kReady, {});
  h.SetEndpointStatus("load_metrics", HealthStatus::kReady);
  h.SetEndpointStatus("generate", HealthStatus::kNotReady);
  EXPECT_TRUE(h.IsReady());  // no endpoint list configured: the system status decides
  std::string body = h.HealthBody();
  EXPECT_EQ(body.rfind(R"({"endpoints":{"generate":"notready","load_metrics":"ready"},)"
                       R"("status":"ready","uptime":{"nanos":)",
                       0),
            0u);
}

TEST(SystemHealthTest, UseEndpointHealthStatusRequiresEveryListedEndpointReady) {
  SystemHealth h(HealthStatus::kReady, {"generate"});
  EXPECT_FALSE(h.IsReady());  // not registered yet
  h.SetEndpointStatus("generate", HealthStatus::kNotReady);
  EXPECT_FALSE(h.IsReady());
  h.SetEndpointStatus("generate", HealthStatus::kReady);
  EXPECT_TRUE(h.IsReady());
  h.SetEndpointStatus("other", HealthStatus::kNotReady);
  EXPECT_TRUE(h.IsReady());
}

TEST(SystemHealthTest, LivenessIsSeparateFromReadiness) {
  SystemHealth h(HealthStatus::kNotReady, {});
  EXPECT_FALSE(h.IsShuttingDown());
  EXPECT_EQ(h.LiveBody(), R"({"message":"Service is live","status":"live"})");
  h.SetShuttingDown();
  EXPECT_EQ(h.LiveBody(), R"({"message":"Service is shutting down","status":"shutting_down"})");
}

TEST(SystemHealthTest, ParsesStartingStatusWords) {
  EXPECT_EQ(ParseHealthStatus("ready"), HealthStatus::kReady);
  EXPECT_EQ(ParseHealthStatus("notready"), HealthStatus::kNotReady);
  EXPECT_FALSE(ParseHealthStatus("Ready").has_value());
}

}  // namespace
}  // namespace dynobs::health
