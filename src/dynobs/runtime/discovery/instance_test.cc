#include "dynobs/runtime/discovery/instance.h"

#include <gtest/gtest.h>

#include <string>

namespace dynobs::runtime {
namespace {

Instance Sample() {
  Instance i;
  i.path = {"dynamo", "backend", "generate"};
  i.instance_id = 0x1234abcdULL;
  i.address = "10.0.0.5:7001";
  i.model = ModelInfo{"Qwen/Qwen3-0.6B", 40960, 16, 8192, 256, 8192, 3};
  i.pid = 4242;
  i.hostname = "worker-1";
  return i;
}

TEST(InstanceTest, ToJsonHasSortedKeysInDynamoShape) {
  EXPECT_EQ(Sample().ToJson(),
            R"({"component":"backend","endpoint":"generate","hostname":"worker-1",)"
            R"("instance_id":305441741,"model":{"context_length":40960,"kv_block_size":16,)"
            R"("max_num_batched_tokens":8192,"max_num_seqs":256,"migration_limit":3,)"
            R"("name":"Qwen/Qwen3-0.6B","total_kv_blocks":8192},"namespace":"dynamo",)"
            R"("pid":4242,"transport":{"tcp":"10.0.0.5:7001"}})");
}

TEST(InstanceTest, RoundTripsWithAndWithoutModel) {
  Instance with = Sample();
  auto parsed = Instance::FromJson(with.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, with);

  Instance without = Sample();
  without.model.reset();
  without.instance_id = UINT64_MAX;  // above 2^63: a u64 JSON number
  parsed = Instance::FromJson(without.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, without);
  EXPECT_EQ(without.ToJson().find("model"), std::string::npos);
}

TEST(InstanceTest, IgnoresUnknownKeysAndDefaultsOptionalOnes) {
  auto parsed = Instance::FromJson(
      R"({"namespace":"ns","component":"c","endpoint":"e","instance_id":7,)"
      R"("transport":{"tcp":"h:1","nats_tcp":"x"},"device_type":"cuda","future":[1,2]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->path, (EndpointPath{"ns", "c", "e"}));
  EXPECT_EQ(parsed->instance_id, 7u);
  EXPECT_EQ(parsed->address, "h:1");
  EXPECT_EQ(parsed->pid, 0);
  EXPECT_FALSE(parsed->model.has_value());
}

TEST(InstanceTest, RejectsMalformedRecords) {
  const std::string base_head = R"({"namespace":"ns","component":"c","endpoint":"e",)";
  const std::string transport = R"("transport":{"tcp":"h:1"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"{\"namespace\":", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {base_head + transport + "}", "missing \"instance_id\""},
      {base_head + R"("instance_id":0,)" + transport + "}", "invalid instance_id 0"},
      {base_head + R"("instance_id":"7",)" + transport + "}", "\"instance_id\" must be"},
      {base_head + R"("instance_id":-7,)" + transport + "}", "\"instance_id\" must be"},
      {base_head + R"("instance_id":1.5,)" + transport + "}", "\"instance_id\" must be"},
      {base_head + R"("instance_id":7})", "missing \"transport\""},
      {base_head + R"("instance_id":7,"transport":{"tcp":5}})", "\"tcp\" must be a string"},
      {base_head + R"("instance_id":7,"transport":{}})", "missing \"tcp\""},
      {base_head + R"("instance_id":7,"transport":"h:1"})", "\"transport\" must be an object"},
      {base_head + R"("instance_id":7,"transport":{"tcp":"a b"}})", "invalid address"},
      {base_head + R"("instance_id":7,"transport":{"tcp":""}})", "invalid address"},
      {base_head + R"("instance_id":7,"pid":-1,)" + transport + "}", "\"pid\" must be"},
      {base_head + R"("instance_id":7,"model":{"context_length":1},)" + transport + "}",
       "missing \"name\""},
      {base_head + R"("instance_id":7,"model":{"name":"m","max_num_seqs":4294967296},)" +
           transport + "}",
       "\"max_num_seqs\" must be"},
      {R"({"namespace":"a/b","component":"c","endpoint":"e","instance_id":7,)" + transport + "}",
       "invalid namespace \"a/b\""},
      {R"({"namespace":"ns","component":"..","endpoint":"e","instance_id":7,)" + transport + "}",
       "invalid component \"..\""},
      {R"({"namespace":"ns","component":"c","endpoint":"","instance_id":7,)" + transport + "}",
       "invalid endpoint \"\""},
      {R"({"component":"c","endpoint":"e","instance_id":7,)" + transport + "}",
       "missing \"namespace\""},
  };
  for (const auto& [json, expected] : cases) {
    auto parsed = Instance::FromJson(json);
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << json;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << json << " -> " << parsed.status().message();
  }
}

TEST(InstanceTest, RejectsOversizedRecords) {
  Instance big = Sample();
  big.model->name = std::string(Instance::kMaxRecordBytes, 'x');
  auto parsed = Instance::FromJson(big.ToJson());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("more than the 65536 allowed"), std::string::npos);
}

TEST(InstanceTest, KeyUsesLowercaseHexId) {
  EXPECT_EQ(Sample().Key(), "dynamo/backend/generate/1234abcd");
  EXPECT_EQ(Sample().path.ToString(), "dynamo/backend/generate");
}

TEST(InstanceTest, PathValidation) {
  EXPECT_TRUE((EndpointPath{"dyn-ns_1", "Backend.v2", "generate"}).Validate().ok());
  EXPECT_FALSE((EndpointPath{".hidden", "c", "e"}).Validate().ok());
  EXPECT_FALSE((EndpointPath{"ns", "c d", "e"}).Validate().ok());
  EXPECT_FALSE((EndpointPath{"ns", "c", std::string(129, 'e')}).Validate().ok());
  EXPECT_TRUE((EndpointPath{"ns", "c", std::string(128, 'e')}).Validate().ok());
}

TEST(InstanceTest, FillProcessIdentityKeepsGivenValues) {
  Instance i = Sample();
  FillProcessIdentity(i);
  EXPECT_EQ(i.pid, 4242);
  EXPECT_EQ(i.hostname, "worker-1");
  Instance blank;
  FillProcessIdentity(blank);
  EXPECT_GT(blank.pid, 0);
  EXPECT_FALSE(blank.hostname.empty());
}

}  // namespace
}  // namespace dynobs::runtime
