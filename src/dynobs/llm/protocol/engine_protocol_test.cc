#include "dynobs/llm/protocol/engine_protocol.h"

#include <gtest/gtest.h>

namespace dynobs::llm {
namespace {

TEST(EngineProtocolTest, RequestRoundTrip) {
  EngineRequest r{.token_ids = {1, 2, 3}, .model = "m", .max_tokens = 7, .stop = {"\n"}};
  auto back = EngineRequest::FromJson(r.ToJson(), 100);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->token_ids, r.token_ids);
  EXPECT_EQ(back->model, "m");
  EXPECT_EQ(back->max_tokens, 7u);
  EXPECT_EQ(back->stop, r.stop);
  EXPECT_FALSE(back->health_check);
}

TEST(EngineProtocolTest, ReadsDynamosCanaryShape) {
  auto r = EngineRequest::FromJson(
      R"({"token_ids":[1],"sampling_options":{"temperature":0.0},"stop_conditions":)"
      R"({"max_tokens":1,"stop":null,"stop_token_ids":null,"include_stop_str_in_output":false,)"
      R"("ignore_eos":false},"_health_check":true,"extra":{"ignored":1}})",
      100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_tokens, 1u);
  EXPECT_EQ(r->temperature, 0.0);
  EXPECT_TRUE(r->health_check);
}

TEST(EngineProtocolTest, RejectsBadInputWithClearErrors) {
  auto bad = [](std::string_view json) {
    auto r = EngineRequest::FromJson(json, 4);
    EXPECT_FALSE(r.ok()) << json;
    return r.status().message();
  };
  EXPECT_EQ(bad("nope"), "invalid engine request: not JSON (syntax error)");
  EXPECT_EQ(bad("[]"), "invalid engine request: not a JSON object");
  EXPECT_EQ(bad("{}"), "invalid engine request: token_ids is missing");
  EXPECT_EQ(bad(R"({"token_ids":[1,2,3,4,5]})"),
            "invalid engine request: 5 token ids, at most 4 accepted");
  bad(R"({"token_ids":["a"]})");
  bad(R"({"token_ids":[-1]})");
  bad(R"({"token_ids":[1],"stop_conditions":{"max_tokens":0}})");
  bad(R"({"token_ids":[1],"stop_conditions":{"stop":"x"}})");
}

TEST(EngineProtocolTest, OutputRoundTrip) {
  EngineOutput o{.token_ids = {9}, .text = " hi\"", .finish_reason = "", .cached_tokens = 32};
  EXPECT_EQ(o.ToJson(),
            R"({"token_ids":[9],"text":" hi\"","finish_reason":null,"cached_tokens":32})");
  auto back = EngineOutput::FromJson(o.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->text, " hi\"");
  EXPECT_EQ(back->cached_tokens, 32u);
  o.finish_reason = "length";
  o.cached_tokens.reset();
  EXPECT_EQ(EngineOutput::FromJson(o.ToJson())->finish_reason, "length");
}

}  // namespace
}  // namespace dynobs::llm
