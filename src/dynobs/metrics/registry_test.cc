#include "dynobs/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "dynobs/metrics/diagnostics.h"
#include "dynobs/metrics/exposition.h"

namespace dynobs::metrics {
namespace {

TEST(RegistryTest, RejectsInvalidNames) {
  Registry r;
  auto c = r.CreateCounter({.name = "bad-name", .help = "h"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("invalid metric name \"bad-name\""), std::string::npos);
  auto l = r.CreateCounter({.name = "ok", .help = "h", .const_labels = {{"__x", "1"}}});
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("invalid label name \"__x\""), std::string::npos);
}

TEST(RegistryTest, RejectsDuplicateLabelKeys) {
  Registry r;
  auto c = r.CreateCounter({.name = "x", .help = "h", .const_labels = {{"a", "1"}, {"a", "2"}}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "Duplicate label key 'a' found in labels");
  auto v = r.CreateCounterVec(
      {.name = "y", .help = "h", .const_labels = {{"a", "1"}}, .label_names = {"a"}});
  EXPECT_FALSE(v.ok());
}

TEST(RegistryTest, HistogramRefusesLeLabel) {
  Registry r;
  EXPECT_FALSE(r.CreateHistogramVec({.name = "h", .help = "h", .label_names = {"le"}}).ok());
  EXPECT_FALSE(r.CreateHistogram({.name = "h2", .help = "h", .const_labels = {{"le", "1"}}}).ok());
}

TEST(RegistryTest, KindRules) {
  Registry r;
  EXPECT_FALSE(r.CreateCounterVec({.name = "v", .help = "h"}).ok());  // needs label names
  EXPECT_FALSE(r.CreateCounter({.name = "c", .help = "h", .label_names = {"a"}}).ok());
  EXPECT_FALSE(r.CreateGauge({.name = "g", .help = "h", .buckets = {1}}).ok());
  EXPECT_FALSE(r.CreateHistogram({.name = "h", .help = "h", .buckets = {2, 1}}).ok());
}

TEST(RegistryTest, SameNameTwiceInOneRegistryFails) {
  Registry r;
  ASSERT_TRUE(r.CreateCounter({.name = "x", .help = "h"}).ok());
  auto again = r.CreateCounter({.name = "x", .help = "h"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("Failed to register metric"), std::string::npos);
}

// Decided difference 3: one name means one type, help and label set across a tree.
TEST(RegistryTest, ConflictsAcrossTheTreeAreRefusedAtCreation) {
  auto root = std::make_shared<Registry>();
  auto child = std::make_shared<Registry>(root->catalog());
  root->AddChild(child);
  ASSERT_TRUE(root->CreateCounter({.name = "m", .help = "help"}).ok());
  auto type = child->CreateGauge({.name = "m", .help = "help"});
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().message(), "metric m is already registered as a counter, not a gauge");
  auto help = child->CreateCounter({.name = "m", .help = "other"});
  ASSERT_FALSE(help.ok());
  EXPECT_NE(help.status().message().find("help"), std::string::npos);
  auto labels = child->CreateCounter({.name = "m", .help = "help", .const_labels = {{"a", "1"}}});
  ASSERT_FALSE(labels.ok());
  EXPECT_NE(labels.status().message().find("labels"), std::string::npos);
  // The same descriptor in another registry of the tree is fine (merged at scrape).
  EXPECT_TRUE(child->CreateCounter({.name = "m", .help = "help"}).ok());
  // The scrape never fails because of the refused ones.
  EXPECT_NE(ScrapeText(*root).find("# TYPE m counter"), std::string::npos);
}

TEST(RegistryTest, VectorResolvesSameSeriesForSameValues) {
  Registry r;
  auto v = r.CreateIntCounterVec({.name = "req", .help = "h", .label_names = {"a", "b"}});
  ASSERT_TRUE(v.ok());
  auto x = v->WithLabelValues({"1", "2"});
  auto y = v->WithLabelValues({"1", "2"});
  ASSERT_TRUE(x.ok() && y.ok());
  x->Inc(2);
  y->Inc(3);
  EXPECT_EQ(x->Value(), 5u);
  EXPECT_EQ(v->WithLabelValues({"1", "3"})->Value(), 0u);
  auto wrong = v->WithLabelValues({"1"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "req takes 2 label values, got 1");
}

TEST(RegistryTest, ConcurrentLookupsAndInsertsAgree) {
  Registry r;
  auto v = r.CreateIntCounterVec({.name = "race", .help = "h", .label_names = {"k"}});
  ASSERT_TRUE(v.ok());
  constexpr int kThreads = 4;
  constexpr int kKeys = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kKeys; ++i) {
        std::string key = std::to_string(i);
        auto c = v->WithLabelValues({key});
        ASSERT_TRUE(c.ok());
        c->Inc();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kKeys; i += 97) {
    EXPECT_EQ(v->WithLabelValues({std::to_string(i)})->Value(), static_cast<uint64_t>(kThreads));
  }
  std::string text = ScrapeText(r);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), kKeys + 2);
}

std::vector<std::string> g_reports;
void CaptureSink(Severity, std::string_view message, std::initializer_list<Field> fields) {
  std::string line(message);
  for (const auto& [k, v] : fields) line += " " + std::string(k) + "=" + std::string(v);
  g_reports.push_back(line);
}

// Decided difference 11.
TEST(RegistryTest, SeriesLimitDropsNewLabelSetsCountsAndWarnsOnce) {
  g_reports.clear();
  SetDiagnosticSink(&CaptureSink);
  Registry r;
  r.AddChild(SelfMetricsRegistry());
  auto v = r.CreateCounterVec(
      {.name = "limited_total", .help = "h", .label_names = {"user"}, .max_series = 3});
  ASSERT_TRUE(v.ok());
  for (int i = 0; i < 10; ++i) {
    auto c = v->WithLabelValues({std::to_string(i)});
    ASSERT_TRUE(c.ok());  // still a working handle, recording nowhere visible
    c->Inc();
  }
  SetDiagnosticSink(nullptr);
  std::string text = ScrapeText(r);
  EXPECT_NE(text.find("limited_total{user=\"2\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("limited_total{user=\"3\"}"), std::string::npos);
  EXPECT_NE(text.find("dynamo_metrics_series_dropped_total{family=\"limited_total\"} 7\n"),
            std::string::npos);
  int warnings = 0;
  for (const auto& line : g_reports) {
    if (line.find("series limit") != std::string::npos) {
      ++warnings;
      EXPECT_NE(line.find("family=limited_total"), std::string::npos);
    }
  }
  EXPECT_EQ(warnings, 1);
}

TEST(RegistryTest, DestroyedRegistriesGiveTheirCellsBack) {
  auto fill = [] {
    Registry r;
    auto v = r.CreateCounterVec({.name = "tmp_total", .help = "h", .label_names = {"k"}});
    auto h = r.CreateHistogramVec({.name = "tmp_seconds", .help = "h", .label_names = {"k"}});
    for (int i = 0; i < 2000; ++i) {
      v->WithLabelValues({std::to_string(i)})->Inc();
      h->WithLabelValues({std::to_string(i)})->Observe(1);
    }
  };
  fill();
  uint32_t after_first = internal::CellSpace::Get().allocated_slots();
  for (int i = 0; i < 5; ++i) fill();
  EXPECT_EQ(internal::CellSpace::Get().allocated_slots(), after_first);
}

TEST(RegistryTest, DefaultSeriesLimitIsTenThousand) { EXPECT_EQ(DefaultSeriesLimit(), 10000u); }

TEST(RegistryTest, UpdateCallbackErrorsAreReportedAndScrapeContinues) {
  g_reports.clear();
  SetDiagnosticSink(&CaptureSink);
  Registry r;
  auto g = r.CreateGauge({.name = "g", .help = "h"});
  ASSERT_TRUE(g.ok());
  r.AddUpdateCallback([] { return InternalError("boom"); });
  r.AddUpdateCallback([g = *g] {
    g.Set(7);
    return Status::Ok();
  });
  std::string text = ScrapeText(r);
  SetDiagnosticSink(nullptr);
  EXPECT_NE(text.find("g 7\n"), std::string::npos);
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0], "Error executing metrics callback error=boom");
}

}  // namespace
}  // namespace dynobs::metrics
