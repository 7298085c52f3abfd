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

TEST(EngineProtocolTest, OutputParsesAnyValidShapeAndSkipsUnknownKeys) {
  auto o = EngineOutput::FromJson(
      R"( {"extra":{"nested":[1,{"token_ids":"x"}],"t":true},"token_ids":[0,7,4294967295],)"
      R"("text":"caf\u00e9 \ud83d\ude00\n\"q\"","finish_reason":"stop","cached_tokens":16,)"
      R"("more":[null,1.5,"s"]} )");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->token_ids, (std::vector<uint32_t>{0, 7, 4294967295u}));
  EXPECT_EQ(o->text, "caf\xc3\xa9 \xf0\x9f\x98\x80\n\"q\"");
  EXPECT_EQ(o->finish_reason, "stop");
  EXPECT_EQ(o->cached_tokens, 16u);
  auto empty = EngineOutput::FromJson(R"({"finish_reason":null,"text":""})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->token_ids.empty());
  EXPECT_EQ(empty->finish_reason, "");
  EXPECT_FALSE(empty->cached_tokens.has_value());
  // A long text arrives in parts: all of it is kept.
  const std::string long_text(100000, 'x');
  auto big = EngineOutput::FromJson(R"({"text":")" + long_text + R"("})");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->text, long_text);
}

TEST(EngineProtocolTest, OutputRefusesWhatIsNotAnEngineOutput) {
  auto message = [](std::string_view json) {
    auto o = EngineOutput::FromJson(json);
    EXPECT_FALSE(o.ok()) << json;
    return o.ok() ? std::string() : std::string(o.status().message());
  };
  for (std::string_view not_object :
       {"", "[]", "5", "null", "\"x\"", "{", "{\"text\":}", "{} {}", "{}x", "not json"}) {
    EXPECT_EQ(message(not_object), "engine output is not a JSON object") << not_object;
  }
  EXPECT_EQ(message(R"({"token_ids":["a"]})"), "invalid engine output: token_ids must be integers");
  EXPECT_EQ(message(R"({"token_ids":[[1]]})"), "invalid engine output: token_ids must be integers");
  EXPECT_EQ(message(R"({"token_ids":[1.5]})"), "invalid engine output: token_ids must be integers");
  EXPECT_EQ(message(R"({"token_ids":[-1]})"), "invalid engine output: token id out of range");
  EXPECT_EQ(message(R"({"token_ids":[4294967296]})"),
            "invalid engine output: token id out of range");
  EXPECT_EQ(message(R"({"token_ids":3})"),
            "invalid engine output: token_ids must be an array of integers");
  EXPECT_EQ(message(R"({"token_ids":null})"),
            "invalid engine output: token_ids must be an array of integers");
  EXPECT_EQ(message(R"({"token_ids":{"a":1}})"),
            "invalid engine output: token_ids must be an array of integers");
}

}  // namespace
}  // namespace dynobs::llm
