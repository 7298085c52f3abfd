#include "dynobs/logging/filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dynobs::logging {
namespace {

std::vector<Directive> Parse(std::string_view text, std::vector<std::string>* problems) {
  return ParseDirectives(text, problems);
}

Filter Build(std::string_view dyn_log, bool span_events = false) {
  std::vector<std::string> problems;
  return Filter::Build(Parse(dyn_log, &problems), span_events);
}

TEST(LevelTest, NamesAndParsing) {
  EXPECT_EQ(LevelName(Level::kWarn), "WARN");
  EXPECT_EQ(LevelLabel(Level::kWarn), "warn");
  EXPECT_EQ(ParseLevel("INFO"), Level::kInfo);
  EXPECT_EQ(ParseLevel("Warning"), Level::kWarn);
  EXPECT_EQ(ParseLevel("trace"), Level::kTrace);
  EXPECT_FALSE(ParseLevel("verbose").has_value());
  EXPECT_FALSE(ParseLevel("").has_value());
}

TEST(DirectiveTest, ParsesLevelsTargetsAndBareTargets) {
  std::vector<std::string> problems;
  auto d = Parse(
      " info , dynamo_runtime::system_status_server=TRACE,dynamo_llm=debug,main.init=warn,"
      "my_crate,,noisy=off,x=3",
      &problems);
  EXPECT_TRUE(problems.empty());
  std::vector<Directive> want = {{"", 3},           {"dynamo_runtime::system_status_server", 5},
                                 {"dynamo_llm", 4}, {"main.init", 2},
                                 {"my_crate", 5},   {"noisy", 0},
                                 {"x", 3}};
  EXPECT_EQ(d, want);
}

TEST(DirectiveTest, InvalidDirectivesAreSkippedAndDescribedOnce) {
  std::vector<std::string> problems;
  auto d = Parse("debug,dynobs=loud,=info,a b=info,x[span]=debug,dynobs::http=warn", &problems);
  std::vector<Directive> want = {{"", 4}, {"dynobs::http", 2}};
  EXPECT_EQ(d, want);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0],
            "ignoring DYN_LOG directive \"dynobs=loud\": unknown level \"loud\"; expected "
            "`level`, `target=level` or `target`, with a level among off, error, warn, info, "
            "debug, trace");
  EXPECT_NE(problems[1].find("\"=info\": empty target"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("\"a b=info\""), std::string::npos) << problems[2];
  EXPECT_NE(problems[3].find("span and field filters are not supported"), std::string::npos);
}

TEST(FilterTest, DefaultIsInfoPlusFixedDirectives) {
  Filter f = Build("");
  EXPECT_TRUE(f.Enabled(Level::kInfo, "dynobs::worker"));
  EXPECT_FALSE(f.Enabled(Level::kDebug, "dynobs::worker"));
  EXPECT_TRUE(f.Enabled(Level::kTrace, "request_span"));  // request spans always exist
  EXPECT_FALSE(f.Enabled(Level::kWarn, "tower"));         // noisy crates: error only
  EXPECT_TRUE(f.Enabled(Level::kError, "tower"));
  EXPECT_FALSE(f.Enabled(Level::kDebug, "system_span"));  // system spans follow the filter
  EXPECT_FALSE(f.Enabled(Level::kTrace, "span_event"));
  EXPECT_TRUE(Build("", /*span_events=*/true).Enabled(Level::kTrace, "span_event"));
}

TEST(FilterTest, TargetsMatchByPrefixAndTheMostSpecificWins) {
  Filter f = Build("warn,dynobs=debug,dynobs::http=error,dynobs::http::server=trace");
  EXPECT_TRUE(f.Enabled(Level::kDebug, "dynobs::runtime"));
  EXPECT_FALSE(f.Enabled(Level::kTrace, "dynobs::runtime"));
  EXPECT_FALSE(f.Enabled(Level::kWarn, "dynobs::http::client"));
  EXPECT_TRUE(f.Enabled(Level::kError, "dynobs::http::client"));
  EXPECT_TRUE(f.Enabled(Level::kTrace, "dynobs::http::server"));
  EXPECT_TRUE(f.Enabled(Level::kTrace, "dynobs::http::server::conn"));
  EXPECT_FALSE(f.Enabled(Level::kInfo, "other"));
  EXPECT_TRUE(f.Enabled(Level::kWarn, "other"));
  // Plain string prefixes, as EnvFilter: `dynobs` also matches `dynobs_tools`.
  EXPECT_TRUE(f.Enabled(Level::kDebug, "dynobs_tools"));
  // Directive order does not matter for specificity.
  Filter g = Build("dynobs::http::server=trace,dynobs=debug,warn");
  EXPECT_TRUE(g.Enabled(Level::kTrace, "dynobs::http::server"));
  EXPECT_TRUE(g.Enabled(Level::kDebug, "dynobs::x"));
  EXPECT_FALSE(g.Enabled(Level::kInfo, "x"));
}

TEST(FilterTest, FixedDirectivesWinForTheirExactTargets) {
  Filter f = Build("error,request_span=error,tower=debug,tower_http=debug,span_event=off");
  EXPECT_TRUE(f.Enabled(Level::kInfo, "request_span"));  // fixed request_span=trace replaces it
  EXPECT_FALSE(f.Enabled(Level::kInfo, "tower"));        // fixed tower=error replaces it
  EXPECT_TRUE(f.Enabled(Level::kDebug, "tower_http"));   // more specific: the user's wins
  EXPECT_FALSE(f.Enabled(Level::kTrace, "span_event"));  // not fixed without span events
  EXPECT_TRUE(Build("span_event=off", true).Enabled(Level::kTrace, "span_event"));
  EXPECT_FALSE(f.Enabled(Level::kWarn, "dynobs"));
}

TEST(FilterTest, LaterDirectiveForTheSameTargetReplacesEarlier) {
  Filter f = Build("debug,x=trace,warn,x=error");
  EXPECT_FALSE(f.Enabled(Level::kInfo, "y"));
  EXPECT_FALSE(f.Enabled(Level::kWarn, "x"));
  EXPECT_TRUE(Build("off").Enabled(Level::kTrace, "request_span"));
  EXPECT_FALSE(Build("off").Enabled(Level::kError, "dynobs"));
}

TEST(FilterTest, DirectivesAreOrderedMostSpecificFirst) {
  Filter f = Build("a=info,abc=info");
  const auto& d = f.directives();
  for (size_t i = 1; i < d.size(); ++i) EXPECT_GE(d[i - 1].target.size(), d[i].target.size());
  EXPECT_EQ(d.back().target, "");
}

TEST(CallSiteTest, CachesUntilTheFilterChanges) {
  static constinit CallSite site(Level::kDebug, "dynobs::callsite_test");
  SetFilter(Build("info"));
  EXPECT_FALSE(site.Enabled());
  EXPECT_FALSE(site.Enabled());
  EXPECT_FALSE(Enabled(Level::kDebug, "dynobs::callsite_test"));
  SetFilter(Build("info,dynobs::callsite_test=debug"));
  EXPECT_TRUE(site.Enabled());
  EXPECT_TRUE(Enabled(Level::kDebug, "dynobs::callsite_test"));
  SetFilter(Build(""));
  EXPECT_FALSE(site.Enabled());
}

TEST(CallSiteTest, ConcurrentCheckersSeeTheNewFilter) {
  static constinit CallSite site(Level::kDebug, "dynobs::race");
  SetFilter(Build("info"));
  std::atomic<bool> go{true};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      while (go.load()) (void)site.Enabled();
    });
  }
  for (int i = 0; i < 200; ++i) {
    SetFilter(Build(i % 2 == 0 ? "debug" : "info"));
    EXPECT_EQ(site.Enabled(), i % 2 == 0);
  }
  go = false;
  for (auto& t : threads) t.join();
  SetFilter(Build(""));
}

}  // namespace
}  // namespace dynobs::logging
