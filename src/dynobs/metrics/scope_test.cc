#include "dynobs/metrics/scope.h"

#include <gtest/gtest.h>

#include "dynobs/metrics/exposition.h"

namespace dynobs::metrics {
namespace {

constexpr uint64_t kWorker = 0x694d98147d54be25ULL;

TEST(ScopeTest, EndpointMetricGetsPrefixAndAllAutoLabels) {
  auto drt = MetricsScope::ForRuntime(kWorker);
  auto ep = drt->NewNamespace("ns")->NewComponent("comp")->NewEndpoint("ep");
  auto c = ep->CreateIntCounter({.name = "requests_total",
                                 .help = "Total number of requests "
                                         "processed by work handler"});
  ASSERT_TRUE(c.ok());
  c->Inc(42);
  EXPECT_EQ(ScrapeText(*drt->registry()),
            "# HELP dynamo_component_requests_total Total number of requests processed by work "
            "handler\n"
            "# TYPE dynamo_component_requests_total counter\n"
            "dynamo_component_requests_total{dynamo_component=\"comp\",dynamo_endpoint=\"ep\","
            "dynamo_namespace=\"ns\",worker_id=\"694d98147d54be25\"} 42\n");
}

TEST(ScopeTest, AutoLabelsPerLevel) {
  auto drt = MetricsScope::ForRuntime(0xabc);
  auto ns = drt->NewNamespace("my-ns");
  auto comp = ns->NewComponent("a.b");
  auto ep = comp->NewEndpoint("@@123");
  EXPECT_EQ(drt->auto_labels(), (Labels{{"worker_id", "abc"}}));
  EXPECT_EQ(ns->auto_labels(), (Labels{{"dynamo_namespace", "my_ns"}, {"worker_id", "abc"}}));
  EXPECT_EQ(
      comp->auto_labels(),
      (Labels{{"dynamo_namespace", "my_ns"}, {"dynamo_component", "a_b"}, {"worker_id", "abc"}}));
  EXPECT_EQ(ep->auto_labels(), (Labels{{"dynamo_namespace", "my_ns"},
                                       {"dynamo_component", "a_b"},
                                       {"dynamo_endpoint", "_123"},
                                       {"worker_id", "abc"}}));
}

// Decided difference 9: the whole namespace path goes to dynamo_namespace.
TEST(ScopeTest, NestedNamespacesAreLabelledByTheirFullPath) {
  auto drt = MetricsScope::ForRuntime(1);
  auto inner = drt->NewNamespace("outer")->NewNamespace("inner");
  EXPECT_EQ(inner->auto_labels(),
            (Labels{{"dynamo_namespace", "outer_inner"}, {"worker_id", "1"}}));
  auto comp = inner->NewComponent("backend");
  EXPECT_EQ(comp->auto_labels()[0].value, "outer_inner");
  EXPECT_EQ(comp->auto_labels()[1], (Label{"dynamo_component", "backend"}));
}

TEST(ScopeTest, RuntimeMetricCarriesOnlyWorkerIdAndStillGetsThePrefix) {
  auto drt = MetricsScope::ForRuntime(0x1f);
  auto g = drt->CreateGauge({.name = "uptime_seconds",
                             .help = "Total uptime of the "
                                     "DistributedRuntime in seconds"});
  ASSERT_TRUE(g.ok());
  g->Set(12.5);
  EXPECT_NE(ScrapeText(*drt->registry())
                .find("dynamo_component_uptime_seconds{worker_id=\"1f\"} "
                      "12.5\n"),
            std::string::npos);
}

TEST(ScopeTest, NamesAreSanitizedAndUnsanitizableNamesFail) {
  auto drt = MetricsScope::ForRuntime(1);
  auto spec = drt->Prepare({.name = "my.metric-name", .help = "h"});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->name, "dynamo_component_my_metric_name");
  EXPECT_FALSE(drt->CreateCounter({.name = "@#$%", .help = "h"}).ok());
}

TEST(ScopeTest, ReservedLabelsAreRejected) {
  auto comp = MetricsScope::ForRuntime(1)->NewNamespace("n")->NewComponent("c");
  for (const char* reserved :
       {"dynamo_namespace", "dynamo_component", "dynamo_endpoint", "worker_id"}) {
    auto c = comp->CreateCounter({.name = "x", .help = "h", .const_labels = {{reserved, "v"}}});
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().message(),
              std::string("Label '") + reserved +
                  "' is automatically added by auto-label injection and cannot be manually set");
    auto v = comp->CreateCounterVec({.name = "y", .help = "h", .label_names = {reserved}});
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().message(), std::string("Variable label '") + reserved +
                                        "' conflicts with auto-injected const label");
  }
}

TEST(ScopeTest, DuplicateKeysRejectedBeforeAnythingElse) {
  auto drt = MetricsScope::ForRuntime(1);
  auto c = drt->CreateCounter(
      {.name = "@#$%", .help = "h", .const_labels = {{"model", "a"}, {"model", "b"}}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "Duplicate label key 'model' found in labels");
}

TEST(ScopeTest, UserConstLabelsFollowAutoLabels) {
  auto ep = MetricsScope::ForRuntime(1)->NewNamespace("n")->NewComponent("c")->NewEndpoint("e");
  auto spec = ep->Prepare({.name = "x", .help = "h", .const_labels = {{"model", "m"}}});
  ASSERT_TRUE(spec.ok());
  ASSERT_EQ(spec->const_labels.size(), 5u);
  EXPECT_EQ(spec->const_labels[3], (Label{"worker_id", "1"}));
  EXPECT_EQ(spec->const_labels[4], (Label{"model", "m"}));
}

// Two endpoints with the same name have two registries; identical series merge at scrape.
TEST(ScopeTest, SameEndpointTwiceMergesAtScrapeFirstWins) {
  auto drt = MetricsScope::ForRuntime(2);
  auto comp = drt->NewNamespace("n")->NewComponent("c");
  auto e1 = comp->NewEndpoint("gen");
  auto e2 = comp->NewEndpoint("gen");
  auto c1 = e1->CreateIntCounter({.name = "requests_total", .help = "h"});
  auto c2 = e2->CreateIntCounter({.name = "requests_total", .help = "h"});
  ASSERT_TRUE(c1.ok() && c2.ok());
  c1->Inc(1);
  c2->Inc(5);
  std::string text = ScrapeText(*drt->registry());
  EXPECT_NE(text.find("worker_id=\"2\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("worker_id=\"2\"} 5\n"), std::string::npos);
}

TEST(ScopeTest, InvalidHierarchyNameFailsMetricCreation) {
  auto ns = MetricsScope::ForRuntime(1)->NewNamespace("____");
  auto c = ns->CreateCounter({.name = "x", .help = "h"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("dynamo_namespace value \"____\""), std::string::npos);
}

TEST(ScopeTest, HistogramVecExists) {
  auto drt = MetricsScope::ForRuntime(1);
  auto hv =
      drt->CreateHistogramVec({.name = "h", .help = "h", .label_names = {"stage"}, .buckets = {1}});
  ASSERT_TRUE(hv.ok());
  hv->WithLabelValues({"x"})->Observe(0.5);
  EXPECT_NE(ScrapeText(*drt->registry())
                .find("dynamo_component_h_bucket{stage=\"x\",worker_id=\"1\",le=\"1\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace dynobs::metrics
