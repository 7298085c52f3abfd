#include "dynobs/metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dynobs/metrics/diagnostics.h"

namespace dynobs::metrics {
namespace {

TEST(ExpositionTest, CounterAndIntCounterLines) {
  Registry r;
  auto c = r.CreateCounter({.name = "a_total", .help = "A float counter"});
  auto ic = r.CreateIntCounter({.name = "b_total", .help = "An int counter"});
  c->Inc(1.5);
  ic->Inc(42);
  EXPECT_EQ(ScrapeText(r),
            "# HELP a_total A float counter\n"
            "# TYPE a_total counter\n"
            "a_total 1.5\n"
            "# HELP b_total An int counter\n"
            "# TYPE b_total counter\n"
            "b_total 42\n");
}

TEST(ExpositionTest, GaugeLinesAndSpecialValues) {
  Registry r;
  auto g = r.CreateGauge({.name = "g", .help = "h"});
  auto ig = r.CreateIntGauge({.name = "ig", .help = "h"});
  auto inf = r.CreateGauge({.name = "inf", .help = "h"});
  auto ninf = r.CreateGauge({.name = "ninf", .help = "h"});
  auto nan = r.CreateGauge({.name = "nan", .help = "h"});
  g->Set(0.00001);
  ig->Set(-3);
  inf->Set(std::numeric_limits<double>::infinity());
  ninf->Set(-std::numeric_limits<double>::infinity());
  nan->Set(std::nan(""));
  EXPECT_EQ(ScrapeText(r),
            "# HELP g h\n# TYPE g gauge\ng 0.00001\n"
            "# HELP ig h\n# TYPE ig gauge\nig -3\n"
            "# HELP inf h\n# TYPE inf gauge\ninf +Inf\n"
            "# HELP nan h\n# TYPE nan gauge\nnan NaN\n"
            "# HELP ninf h\n# TYPE ninf gauge\nninf -Inf\n");
}

TEST(ExpositionTest, FloatsAreShortestRoundTripWithoutExponent) {
  Registry r;
  auto g = r.CreateGaugeVec({.name = "f", .help = "h", .label_names = {"k"}});
  g->WithLabelValues({"a"})->Set(0.1 + 0.2);
  g->WithLabelValues({"b"})->Set(1e21);
  g->WithLabelValues({"c"})->Set(2.0);
  g->WithLabelValues({"d"})->Set(1.5e-7);
  EXPECT_EQ(ScrapeText(r),
            "# HELP f h\n# TYPE f gauge\n"
            "f{k=\"a\"} 0.30000000000000004\n"
            "f{k=\"b\"} 1000000000000000000000\n"
            "f{k=\"c\"} 2\n"
            "f{k=\"d\"} 0.00000015\n");
}

TEST(ExpositionTest, HistogramLines) {
  Registry r;
  auto h = r.CreateHistogram({.name = "lat_seconds",
                              .help = "Latency",
                              .const_labels = {{"model", "m"}},
                              .buckets = {0.1, 0.5, 1}});
  ASSERT_TRUE(h.ok());
  h->Observe(0.05);
  h->Observe(0.1);
  h->Observe(0.7);
  h->Observe(3);
  EXPECT_EQ(ScrapeText(r),
            "# HELP lat_seconds Latency\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{model=\"m\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{model=\"m\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{model=\"m\",le=\"1\"} 3\n"
            "lat_seconds_bucket{model=\"m\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{model=\"m\"} 3.85\n"
            "lat_seconds_count{model=\"m\"} 4\n");
}

TEST(ExpositionTest, HistogramWithoutLabelsAndDefaultBuckets) {
  Registry r;
  auto h = r.CreateHistogram({.name = "d", .help = "h"});
  h->Observe(0.3);
  std::string text = ScrapeText(r);
  EXPECT_NE(text.find("d_bucket{le=\"0.005\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("d_bucket{le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("d_bucket{le=\"10\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("d_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("d_sum 0.3\nd_count 1\n"), std::string::npos);
}

TEST(ExpositionTest, HistogramVecSeries) {
  Registry r;
  auto hv =
      r.CreateHistogramVec({.name = "hv", .help = "h", .label_names = {"stage"}, .buckets = {1}});
  hv->WithLabelValues({"route"})->Observe(2);
  hv->WithLabelValues({"preprocess"})->Observe(0.5);
  EXPECT_EQ(ScrapeText(r),
            "# HELP hv h\n# TYPE hv histogram\n"
            "hv_bucket{stage=\"preprocess\",le=\"1\"} 1\n"
            "hv_bucket{stage=\"preprocess\",le=\"+Inf\"} 1\n"
            "hv_sum{stage=\"preprocess\"} 0.5\n"
            "hv_count{stage=\"preprocess\"} 1\n"
            "hv_bucket{stage=\"route\",le=\"1\"} 0\n"
            "hv_bucket{stage=\"route\",le=\"+Inf\"} 1\n"
            "hv_sum{stage=\"route\"} 2\n"
            "hv_count{stage=\"route\"} 1\n");
}

TEST(ExpositionTest, LabelsSortedByNameConstAndVariableInterleaved) {
  Registry r;
  auto v = r.CreateIntCounterVec({.name = "x_total",
                                  .help = "h",
                                  .const_labels = {{"zeta", "z"}, {"alpha", "a"}},
                                  .label_names = {"mid", "beta"}});
  v->WithLabelValues({"m", "b"})->Inc();
  EXPECT_EQ(ScrapeText(r),
            "# HELP x_total h\n# TYPE x_total counter\n"
            "x_total{alpha=\"a\",beta=\"b\",mid=\"m\",zeta=\"z\"} 1\n");
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  Registry r;
  auto v = r.CreateGaugeVec(
      {.name = "e", .help = "back\\slash and\nnewline \"quoted\"", .label_names = {"v"}});
  v->WithLabelValues({"a\\b\"c\nd"})->Set(1);
  EXPECT_EQ(ScrapeText(r),
            "# HELP e back\\\\slash and\\nnewline \"quoted\"\n# TYPE e gauge\n"
            "e{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(ExpositionTest, FamiliesSortedByNameAndEmptyVectorsOmitted) {
  Registry r;
  ASSERT_TRUE(
      r.CreateCounterVec({.name = "b_errors_total", .help = "h", .label_names = {"error_type"}})
          .ok());
  ASSERT_TRUE(r.CreateGauge({.name = "c", .help = "h"}).ok());
  ASSERT_TRUE(r.CreateGauge({.name = "a", .help = "h"}).ok());
  EXPECT_EQ(ScrapeText(r), "# HELP a h\n# TYPE a gauge\na 0\n# HELP c h\n# TYPE c gauge\nc 0\n");
}

TEST(ExpositionTest, CallbackGaugeIsReadAtScrape) {
  Registry r;
  double value = 1;
  ASSERT_TRUE(r.CreateCallbackGauge({.name = "cb", .help = "h"}, [&] { return value; }).ok());
  EXPECT_NE(ScrapeText(r).find("cb 1\n"), std::string::npos);
  value = 2.5;
  EXPECT_NE(ScrapeText(r).find("cb 2.5\n"), std::string::npos);
}

std::vector<std::string> g_warnings;
void Capture(Severity, std::string_view message, std::initializer_list<Field> fields) {
  std::string line(message);
  for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + std::string(v);
  g_warnings.push_back(line);
}

TEST(ExpositionTest, MergesTreeDepthFirstAndDropsDuplicateSeriesOnce) {
  auto root = std::make_shared<Registry>();
  auto a = std::make_shared<Registry>(root->catalog());
  auto b = std::make_shared<Registry>(root->catalog());
  root->AddChild(a);
  root->AddChild(b);
  root->AddChild(a);  // same child again: visited once
  auto ca = a->CreateIntCounter({.name = "req_total", .help = "h", .const_labels = {{"ep", "x"}}});
  auto cb = b->CreateIntCounter({.name = "req_total", .help = "h", .const_labels = {{"ep", "x"}}});
  auto cc =
      b->CreateIntCounter({.name = "other_total", .help = "h", .const_labels = {{"ep", "a"}}});
  ca->Inc(1);
  cb->Inc(100);
  g_warnings.clear();
  SetDiagnosticSink(&Capture);
  std::string first = ScrapeText(*root);
  std::string second = ScrapeText(*root);
  SetDiagnosticSink(nullptr);
  EXPECT_EQ(first,
            "# HELP other_total h\n# TYPE other_total counter\nother_total{ep=\"a\"} 0\n"
            "# HELP req_total h\n# TYPE req_total counter\nreq_total{ep=\"x\"} 1\n");
  EXPECT_EQ(first, second);
  ASSERT_EQ(g_warnings.size(), 1u);
  EXPECT_EQ(g_warnings[0],
            "Duplicate Prometheus series while merging registries; dropping later sample "
            "series=req_total{ep=\"x\"}");
}

TEST(ExpositionTest, SameFamilyAcrossRegistriesIsOneFamilyWithSortedSeries) {
  auto root = std::make_shared<Registry>();
  auto a = std::make_shared<Registry>(root->catalog());
  root->AddChild(a);
  ASSERT_TRUE(root->CreateGauge({.name = "g", .help = "h", .const_labels = {{"ep", "z"}}}).ok());
  ASSERT_TRUE(a->CreateGauge({.name = "g", .help = "h", .const_labels = {{"ep", "b"}}}).ok());
  EXPECT_EQ(ScrapeText(*root), "# HELP g h\n# TYPE g gauge\ng{ep=\"b\"} 0\ng{ep=\"z\"} 0\n");
}

TEST(ExpositionTest, ExpositionCallbacksAreAppendedVerbatimWithNewlines) {
  auto root = std::make_shared<Registry>();
  auto child = std::make_shared<Registry>();
  root->AddChild(child);
  ASSERT_TRUE(root->CreateGauge({.name = "g", .help = "h"}).ok());
  root->AddExpositionCallback([]() -> StatusOr<std::string> { return std::string("vllm:a 1"); });
  child->AddExpositionCallback([]() -> StatusOr<std::string> { return std::string("vllm:b 2\n"); });
  child->AddExpositionCallback([]() -> StatusOr<std::string> { return InternalError("x"); });
  SetDiagnosticSink(&Capture);
  Scraper s;
  auto e = s.Scrape(*root, ExpositionFormat::kOpenMetrics);
  SetDiagnosticSink(nullptr);
  EXPECT_EQ(e.format, ExpositionFormat::kPrometheusText);  // appended text is Prometheus text
  EXPECT_EQ(e.body, "# HELP g h\n# TYPE g gauge\ng 0\nvllm:a 1\nvllm:b 2\n");
}

TEST(ExpositionTest, OpenMetricsCountersHistogramsAndEof) {
  Registry r;
  auto c = r.CreateIntCounter({.name = "req_total", .help = "Say \"hi\""});
  auto raw = r.CreateIntCounter({.name = "kvbm_offload_blocks_d2h", .help = "h"});
  auto h = r.CreateHistogram({.name = "lat", .help = "h", .buckets = {1}});
  c->Inc(3);
  raw->Inc(2);
  h->Observe(0.5);
  Scraper s;
  auto e = s.Scrape(r, ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(e.format, ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(e.body,
            "# HELP kvbm_offload_blocks_d2h h\n# TYPE kvbm_offload_blocks_d2h unknown\n"
            "kvbm_offload_blocks_d2h 2\n"
            "# HELP lat h\n# TYPE lat histogram\n"
            "lat_bucket{le=\"1\"} 1\nlat_bucket{le=\"+Inf\"} 1\nlat_sum 0.5\nlat_count 1\n"
            "# HELP req Say \\\"hi\\\"\n# TYPE req counter\nreq_total 3\n"
            "# EOF\n");
}

TEST(NegotiationTest, PrometheusScraperGetsOpenMetrics) {
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;version=1.0.0,application/"
                            "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                            "*/*;q=0.1"),
            ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateFormat(""), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(NegotiateFormat("*/*"), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(NegotiateFormat("text/plain"), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(NegotiateFormat("text/plain;q=1, application/openmetrics-text;q=0.5"),
            ExpositionFormat::kPrometheusText);
  EXPECT_EQ(NegotiateFormat("Application/OpenMetrics-Text"), ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;q=0"), ExpositionFormat::kPrometheusText);
}

TEST(NegotiationTest, Gzip) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.8"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
}

TEST(NegotiationTest, ContentTypes) {
  EXPECT_EQ(ContentType(ExpositionFormat::kPrometheusText),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ContentType(ExpositionFormat::kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace dynobs::metrics
