#include "dynobs/runtime/distributed_runtime.h"

#include <gtest/gtest.h>

#include "dynobs/metrics/exposition.h"

namespace dynobs::runtime {
namespace {

TEST(DistributedRuntimeTest, ExposesUptimeProcessFamiliesAndTheTree) {
  auto drt = DistributedRuntime::Create({.instance_id = 0x2a});
  ASSERT_TRUE(drt.ok());
  auto ep = (*drt)->GetNamespace("dynamo")->GetComponent("backend")->NewEndpoint("generate");
  auto c = ep->metrics().CreateIntCounter({.name = "requests_total", .help = "h"});
  ASSERT_TRUE(c.ok());
  c->Inc();
  std::string text = metrics::ScrapeText(*(*drt)->metrics().registry());
  EXPECT_NE(text.find("# HELP dynamo_component_uptime_seconds Total uptime of the "
                      "DistributedRuntime in seconds\n# TYPE dynamo_component_uptime_seconds "
                      "gauge\ndynamo_component_uptime_seconds{worker_id=\"2a\"} "),
            std::string::npos);
  EXPECT_EQ(text.find("dynamo_component_uptime_seconds{worker_id=\"2a\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
  EXPECT_NE(text.find("dynamo_component_requests_total{dynamo_component=\"backend\","
                      "dynamo_endpoint=\"generate\",dynamo_namespace=\"dynamo\","
                      "worker_id=\"2a\"} 1\n"),
            std::string::npos);
}

TEST(DistributedRuntimeTest, ComponentsAndNamespacesAreCachedEndpointsAreNot) {
  auto drt = *DistributedRuntime::Create({});
  EXPECT_NE(drt->instance_id(), 0u);
  auto ns = drt->GetNamespace("n");
  EXPECT_EQ(ns, drt->GetNamespace("n"));
  EXPECT_EQ(ns->GetComponent("c"), ns->GetComponent("c"));
  auto c = ns->GetComponent("c");
  EXPECT_NE(c->NewEndpoint("e"), c->NewEndpoint("e"));
  EXPECT_NE(c->NewEndpoint("e")->metrics().registry(), c->NewEndpoint("e")->metrics().registry());
}

TEST(DistributedRuntimeTest, NestedNamespaceLabels) {
  auto drt = *DistributedRuntime::Create({.instance_id = 1});
  auto comp = drt->GetNamespace("outer")->GetNamespace("inner")->GetComponent("backend");
  auto g = comp->metrics().CreateGauge({.name = "g", .help = "h"});
  ASSERT_TRUE(g.ok());
  std::string text = metrics::ScrapeText(*drt->metrics().registry());
  EXPECT_NE(text.find("dynamo_component_g{dynamo_component=\"backend\","
                      "dynamo_namespace=\"outer_inner\",worker_id=\"1\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace dynobs::runtime
