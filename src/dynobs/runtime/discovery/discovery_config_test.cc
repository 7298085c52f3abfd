#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "dynobs/runtime/discovery/discovery.h"

namespace dynobs::runtime {
namespace {

StatusOr<DiscoveryConfig> Load(std::map<std::string, std::string, std::less<>> vars) {
  return LoadDiscoveryConfig(env::Reader(env::MapSource(std::move(vars))));
}

TEST(DiscoveryConfigTest, DefaultsToFileUnderRuntimeDirOrTmp) {
  auto c = Load({{"XDG_RUNTIME_DIR", "/run/user/1000"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->backend, DiscoveryConfig::Backend::kFile);
  EXPECT_EQ(c->dir, "/run/user/1000/dynobs/discovery");
  EXPECT_EQ(c->ttl_seconds, 10);

  c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dir, "/tmp/dynobs-discovery-" + std::to_string(::geteuid()));
  c = Load({{"XDG_RUNTIME_DIR", "relative/dir"}});  // ignored, as the XDG spec says
  EXPECT_EQ(c->dir, "/tmp/dynobs-discovery-" + std::to_string(::geteuid()));
}

TEST(DiscoveryConfigTest, ReadsEachBackend) {
  auto c = Load({{"DYN_DISCOVERY_BACKEND", "file"}, {"DYN_DISCOVERY_DIR", "/srv/disc/"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dir, "/srv/disc");
  c = Load({{"DYN_DISCOVERY_BACKEND", "mem"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->backend, DiscoveryConfig::Backend::kMem);
  c = Load({{"DYN_DISCOVERY_BACKEND", "etcd"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->backend, DiscoveryConfig::Backend::kEtcd);
  EXPECT_EQ(c->etcd_endpoints, (std::vector<std::string>{"http://localhost:2379"}));
  EXPECT_EQ(c->etcd_prefix, "/dynobs/instances/");
}

TEST(DiscoveryConfigTest, ParsesEtcdEndpoints) {
  auto c = Load({{"DYN_DISCOVERY_BACKEND", "etcd"},
                 {"ETCD_ENDPOINTS", "http://10.0.0.1:2379, 10.0.0.2:2379 ,https://etcd.svc/"},
                 {"DYN_DISCOVERY_TTL_SECONDS", "30"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->etcd_endpoints,
            (std::vector<std::string>{"http://10.0.0.1:2379", "http://10.0.0.2:2379",
                                      "https://etcd.svc"}));
  EXPECT_EQ(c->ttl_seconds, 30);
}

TEST(DiscoveryConfigTest, BadValuesNameTheVariable) {
  struct Case {
    std::map<std::string, std::string, std::less<>> vars;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"DYN_DISCOVERY_BACKEND", "nats"}},
       "invalid DYN_DISCOVERY_BACKEND=\"nats\": expected file, etcd or mem"},
      {{{"DYN_DISCOVERY_DIR", "relative"}},
       "invalid DYN_DISCOVERY_DIR=\"relative\": expected an absolute directory path"},
      {{{"DYN_DISCOVERY_BACKEND", "etcd"}, {"ETCD_ENDPOINTS", "http://a:2379,,http://b:2379"}},
       "invalid ETCD_ENDPOINTS=\"http://a:2379,,http://b:2379\": expected comma-separated etcd "
       "client URLs such as http://10.0.0.1:2379,http://10.0.0.2:2379"},
      {{{"DYN_DISCOVERY_BACKEND", "etcd"}, {"ETCD_ENDPOINTS", "ftp://a:2379"}},
       "invalid ETCD_ENDPOINTS=\"ftp://a:2379\""},
      {{{"DYN_DISCOVERY_BACKEND", "etcd"}, {"ETCD_ENDPOINTS", "http://a:2379/v3"}},
       "invalid ETCD_ENDPOINTS=\"http://a:2379/v3\""},
      {{{"DYN_DISCOVERY_TTL_SECONDS", "1"}},
       "invalid DYN_DISCOVERY_TTL_SECONDS=\"1\": expected an integer in 3..3600"},
      {{{"DYN_DISCOVERY_TTL_SECONDS", "ten"}},
       "invalid DYN_DISCOVERY_TTL_SECONDS=\"ten\": expected an integer in 3..3600"},
  };
  for (const Case& c : cases) {
    auto config = Load(c.vars);
    ASSERT_FALSE(config.ok()) << c.message;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(config.status().message().substr(0, c.message.size()), c.message);
    EXPECT_EQ(config.status().message().find('\n'), std::string::npos);
  }
}

TEST(DiscoveryConfigTest, EtcdSettingsAreIgnoredByOtherBackends) {
  auto c = Load({{"DYN_DISCOVERY_BACKEND", "mem"}, {"ETCD_ENDPOINTS", "::bad::"}});
  EXPECT_TRUE(c.ok());
}

TEST(DiscoveryConfigTest, CreateDiscoveryRefusesAnUnusableDirectory) {
  DiscoveryConfig config;
  config.dir = "/proc/self/status/discovery";
  auto d = CreateDiscovery(config);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("/proc/self/status"), std::string::npos)
      << d.status().message();
}

}  // namespace
}  // namespace dynobs::runtime
