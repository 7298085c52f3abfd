#include "dynobs/llm/frontend/route_paths.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dynobs::llm::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

StatusOr<RoutePaths> Load(std::map<std::string, std::string, std::less<>> values,
                          std::vector<std::string>* ignored = nullptr) {
  return LoadRoutePaths(env::Reader(env::MapSource(std::move(values))), ignored);
}

TEST(RoutePathsTest, DefaultsAreDynamos) {
  auto p = Load({});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->metrics, "/metrics");
  EXPECT_EQ(p->health, "/health");
  EXPECT_EQ(p->live, "/live");
  EXPECT_EQ(p->models, "/v1/models");
  EXPECT_EQ(p->chat, "/v1/chat/completions");
  EXPECT_EQ(p->completions, "/v1/completions");
}

TEST(RoutePathsTest, EveryOverrideIsRead) {
  auto p = Load({{"DYN_HTTP_SVC_METRICS_PATH", "/m"},
                 {"DYN_HTTP_SVC_HEALTH_PATH", "/h"},
                 {"DYN_HTTP_SVC_LIVE_PATH", "/l"},
                 {"DYN_HTTP_SVC_MODELS_PATH", "/api/models"},
                 {"DYN_HTTP_SVC_CHAT_PATH", "/api/chat"},
                 {"DYN_HTTP_SVC_CMP_PATH", "/api/cmp"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->metrics, "/m");
  EXPECT_EQ(p->health, "/h");
  EXPECT_EQ(p->live, "/l");
  EXPECT_EQ(p->models, "/api/models");
  EXPECT_EQ(p->chat, "/api/chat");
  EXPECT_EQ(p->completions, "/api/cmp");
}

TEST(RoutePathsTest, BadPathsAreRefusedByName) {
  for (const char* bad : {"metrics", "/a b", "/a?x=1", "/a#b", "/a\tb"}) {
    auto p = Load({{"DYN_HTTP_SVC_METRICS_PATH", bad}});
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_THAT(p.status().message(), HasSubstr("DYN_HTTP_SVC_METRICS_PATH")) << bad;
  }
  auto long_path = Load({{"DYN_HTTP_SVC_LIVE_PATH", "/" + std::string(300, 'a')}});
  EXPECT_FALSE(long_path.ok());
}

TEST(RoutePathsTest, TwoRoutesOnOnePathAreRefused) {
  auto p = Load({{"DYN_HTTP_SVC_LIVE_PATH", "/health"}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("DYN_HTTP_SVC_HEALTH_PATH"));
  EXPECT_THAT(p.status().message(), HasSubstr("DYN_HTTP_SVC_LIVE_PATH"));
}

TEST(RoutePathsTest, OverridesForEndpointsNotServedAreReported) {
  std::vector<std::string> ignored;
  auto p = Load({{"DYN_HTTP_SVC_EMB_PATH", "/e"}, {"DYN_HTTP_SVC_ANTHROPIC_PATH", "/a"}}, &ignored);
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(ignored, ElementsAre("DYN_HTTP_SVC_EMB_PATH", "DYN_HTTP_SVC_ANTHROPIC_PATH"));
}

}  // namespace
}  // namespace dynobs::llm::frontend
