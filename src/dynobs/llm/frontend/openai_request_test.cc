#include "dynobs/llm/frontend/openai_request.h"

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

namespace dynobs::llm::frontend {
namespace {

const RequestLimits kLimits;

// The message and param of a chat body that must fail validation.
struct Rejection {
  std::string message;
  std::string param;
};

Rejection RejectChat(std::string_view body, const RequestLimits& limits = kLimits) {
  std::string param = "untouched";
  auto r = ParseChatCompletionRequest(body, limits, &param);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
  return {r.status().message(), param};
}

Rejection RejectCompletion(std::string_view body, const RequestLimits& limits = kLimits) {
  std::string param = "untouched";
  auto r = ParseCompletionRequest(body, limits, &param);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
  return {r.status().message(), param};
}

// A chat body with one user message and `extra` fields appended (each starting with a comma).
std::string Chat(std::string_view extra) {
  return fmt::format(R"({{"model":"m","messages":[{{"role":"user","content":"hi"}}]{}}})", extra);
}

TEST(ChatRequestTest, ParsesEveryFieldOpenAIsClientSends) {
  auto r = ParseChatCompletionRequest(
      R"({"model":"Qwen/Qwen3-0.6B","messages":[
            {"role":"system","content":"Be brief."},
            {"role":"developer","content":"Rules."},
            {"role":"user","content":[{"type":"text","text":"Hello, "},
                                      {"type":"text","text":"world"}]},
            {"role":"assistant","content":null,"tool_calls":[]},
            {"role":"tool","content":"42","tool_call_id":"c1"}],
          "max_tokens":100,"max_completion_tokens":32,"stream":true,
          "stream_options":{"include_usage":true},"temperature":0.7,"top_p":1,"n":1,
          "stop":["\n\n","END"],"seed":-7,"user":"u-1"})",
      kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const GenerationParams& p = r->params;
  EXPECT_EQ(p.model, "Qwen/Qwen3-0.6B");
  EXPECT_EQ(p.max_tokens, 32u);  // max_completion_tokens wins over max_tokens
  EXPECT_TRUE(p.stream);
  EXPECT_TRUE(p.include_usage);
  EXPECT_EQ(p.temperature, 0.7);
  EXPECT_EQ(p.top_p, 1.0);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(p.seed, -7);
  EXPECT_EQ(p.user, "u-1");
  EXPECT_EQ(r->messages, (std::vector<ChatMessage>{{ChatRole::kSystem, "Be brief."},
                                                   {ChatRole::kDeveloper, "Rules."},
                                                   {ChatRole::kUser, "Hello, world"},
                                                   {ChatRole::kAssistant, ""},
                                                   {ChatRole::kTool, "42"}}));
}

TEST(ChatRequestTest, MinimalRequestLeavesOptionalFieldsUnset) {
  auto r = ParseChatCompletionRequest(Chat(""), kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params.max_tokens, std::nullopt);
  EXPECT_FALSE(r->params.stream);
  EXPECT_FALSE(r->params.include_usage);
  EXPECT_EQ(r->params.temperature, std::nullopt);
  EXPECT_EQ(r->params.top_p, std::nullopt);
  EXPECT_TRUE(r->params.stop.empty());
  EXPECT_EQ(r->params.seed, std::nullopt);
  EXPECT_EQ(r->params.user, "");
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0], (ChatMessage{ChatRole::kUser, "hi"}));
}

TEST(ChatRequestTest, NullMeansNotGivenAndUnknownFieldsAreIgnored) {
  auto r = ParseChatCompletionRequest(
      Chat(R"(,"max_tokens":null,"temperature":null,"top_p":null,"n":null,"stop":null,)"
           R"("seed":null,"user":null,"stream":null,"stream_options":null,)"
           R"("logprobs":true,"tools":[{"type":"function"}],"response_format":{"type":"text"},)"
           R"("frequency_penalty":0.5,"metadata":{"a":[1,{"b":null}]},"x-custom":"y")"),
      kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params.max_tokens, std::nullopt);
  EXPECT_EQ(r->params.temperature, std::nullopt);
  EXPECT_FALSE(r->params.stream);
}

TEST(ChatRequestTest, AcceptsBoundaryValues) {
  auto r = ParseChatCompletionRequest(
      Chat(R"(,"temperature":0,"top_p":1e-9,"max_tokens":1,"stop":"x","seed":9223372036854775807)"),
      kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params.temperature, 0.0);
  EXPECT_EQ(r->params.max_tokens, 1u);
  EXPECT_EQ(r->params.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r->params.seed, INT64_MAX);
  r = ParseChatCompletionRequest(Chat(R"(,"temperature":2.0,"max_completion_tokens":1000000)"),
                                 kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params.temperature, 2.0);
  EXPECT_EQ(r->params.max_tokens, 1000000u);
}

TEST(ChatRequestTest, IncludeUsageCountsOnlyWhenStreaming) {
  auto r = ParseChatCompletionRequest(Chat(R"(,"stream_options":{"include_usage":true})"), kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->params.include_usage);
  r = ParseChatCompletionRequest(Chat(R"(,"stream":true,"stream_options":{})"), kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->params.include_usage);
}

TEST(ChatRequestTest, RejectsBodiesThatAreNotAnObject) {
  EXPECT_EQ(RejectChat("nope").message, "the request body is not valid JSON (syntax error)");
  EXPECT_EQ(RejectChat("").message, "the request body is not valid JSON (incomplete JSON)");
  EXPECT_EQ(RejectChat(R"({"model":)").message,
            "the request body is not valid JSON (incomplete JSON)");
  EXPECT_EQ(RejectChat("[1]").message, "the request body must be a JSON object");
  EXPECT_EQ(RejectChat("[1]").param, "");
  // Nesting is bounded, even in a field we would ignore.
  std::string deep = Chat(",\"x\":" + std::string(100, '[') + std::string(100, ']'));
  EXPECT_EQ(RejectChat(deep).message, "the request body is not valid JSON (too deep)");
  // Invalid UTF-8 inside a string is not JSON.
  RejectChat("{\"model\":\"\xff\",\"messages\":[]}");
}

TEST(ChatRequestTest, RejectsAMissingOrBadModel) {
  auto missing = RejectChat(R"({"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(missing.message, "'model' is required");
  EXPECT_EQ(missing.param, "model");
  EXPECT_EQ(RejectChat(R"({"model":null,"messages":[]})").message, "'model' is required");
  EXPECT_EQ(RejectChat(R"({"model":7,"messages":[]})").message,
            "'model' must be a string, got an integer");
  EXPECT_EQ(RejectChat(R"({"model":"","messages":[]})").message, "'model' must not be empty");
}

TEST(ChatRequestTest, RejectsWrongTypes) {
  struct Case {
    std::string extra, message, param;
  };
  for (const Case& c : std::vector<Case>{
           {R"(,"stream":"yes")", "'stream' must be a boolean, got a string", "stream"},
           {R"(,"stream_options":true)", "'stream_options' must be an object, got a boolean",
            "stream_options"},
           {R"(,"stream_options":{"include_usage":1})",
            "'stream_options.include_usage' must be a boolean, got an integer",
            "stream_options.include_usage"},
           {R"(,"temperature":"0.5")", "'temperature' must be a number, got a string",
            "temperature"},
           {R"(,"top_p":[1])", "'top_p' must be a number, got an array", "top_p"},
           {R"(,"max_tokens":10.5)", "'max_tokens' must be an integer, got a number", "max_tokens"},
           {R"(,"max_tokens":"10")", "'max_tokens' must be an integer, got a string", "max_tokens"},
           {R"(,"max_completion_tokens":true)",
            "'max_completion_tokens' must be an integer, got a boolean", "max_completion_tokens"},
           {R"(,"n":1.0)", "'n' must be an integer, got a number", "n"},
           {R"(,"stop":5)", "'stop' must be a string or an array of strings, got an integer",
            "stop"},
           {R"(,"stop":["a",{}])", "'stop[1]' must be a string, got an object", "stop[1]"},
           {R"(,"seed":1.5)", "'seed' must be an integer, got a number", "seed"},
           {R"(,"user":{})", "'user' must be a string, got an object", "user"},
       }) {
    Rejection r = RejectChat(Chat(c.extra));
    EXPECT_EQ(r.message, c.message) << c.extra;
    EXPECT_EQ(r.param, c.param) << c.extra;
  }
}

TEST(ChatRequestTest, RejectsOutOfRangeValues) {
  struct Case {
    std::string extra, message;
  };
  for (const Case& c : std::vector<Case>{
           {R"(,"temperature":2.5)", "'temperature' must be between 0 and 2, got 2.5"},
           {R"(,"temperature":-0.1)", "'temperature' must be between 0 and 2, got -0.1"},
           {R"(,"top_p":0)", "'top_p' must be greater than 0 and at most 1, got 0"},
           {R"(,"top_p":1.01)", "'top_p' must be greater than 0 and at most 1, got 1.01"},
           {R"(,"max_tokens":0)", "'max_tokens' must be an integer between 1 and 1000000, got 0"},
           {R"(,"max_tokens":-5)", "'max_tokens' must be an integer between 1 and 1000000, got -5"},
           {R"(,"max_tokens":1000001)",
            "'max_tokens' must be an integer between 1 and 1000000, got 1000001"},
           {R"(,"max_tokens":18446744073709551615)",
            "'max_tokens' must be an integer between 1 and 1000000, got 18446744073709551615"},
           {R"(,"max_completion_tokens":0)",
            "'max_completion_tokens' must be an integer between 1 and 1000000, got 0"},
           {R"(,"seed":18446744073709551615)",
            "'seed' must be an integer between -9223372036854775808 and 9223372036854775807"},
       }) {
    EXPECT_EQ(RejectChat(Chat(c.extra)).message, c.message) << c.extra;
  }
}

TEST(ChatRequestTest, RejectsMoreThanOneChoice) {
  for (std::string_view n : {"2", "0", "-1", "128"}) {
    Rejection r = RejectChat(Chat(fmt::format(R"(,"n":{})", n)));
    EXPECT_EQ(r.message,
              fmt::format("'n' must be 1: only one choice per request is supported, got {}", n));
    EXPECT_EQ(r.param, "n");
  }
}

TEST(ChatRequestTest, BoundsStopStrings) {
  EXPECT_EQ(RejectChat(Chat(R"(,"stop":["a","b","c","d","e"])")).message,
            "'stop' has 5 entries, at most 4 accepted");
  EXPECT_EQ(RejectChat(Chat(R"(,"stop":"")")).message, "'stop' must not be empty");
  EXPECT_EQ(RejectChat(Chat(R"(,"stop":["a",""])")).message, "'stop[1]' must not be empty");
  std::string long_stop(257, 'x');
  EXPECT_EQ(RejectChat(Chat(fmt::format(R"(,"stop":"{}")", long_stop))).message,
            "'stop' is 257 bytes long, at most 256 accepted");
  auto ok = ParseChatCompletionRequest(
      Chat(fmt::format(R"(,"stop":["{}","b","c","d"])", std::string(256, 'x'))), kLimits);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->params.stop.size(), 4u);
}

TEST(ChatRequestTest, RejectsBadMessages) {
  struct Case {
    std::string messages, message, param;
  };
  for (const Case& c : std::vector<Case>{
           {R"("hi")", "'messages' must be an array, got a string", "messages"},
           {R"([])", "'messages' must hold at least one message", "messages"},
           {R"(["hi"])", "'messages[0]' must be an object, got a string", "messages[0]"},
           {R"([{"content":"hi"}])", "'messages[0].role' is required", "messages[0].role"},
           {R"([{"role":"user","content":"a"},{"role":"function","content":"b"}])",
            "'messages[1].role' must be one of system, user, assistant, tool, developer, got "
            "\"function\"",
            "messages[1].role"},
           {R"([{"role":1,"content":"a"}])", "'messages[0].role' must be a string, got an integer",
            "messages[0].role"},
           {R"([{"role":"user"}])", "'messages[0].content' is required", "messages[0].content"},
           {R"([{"role":"user","content":null}])", "'messages[0].content' is required",
            "messages[0].content"},
           {R"([{"role":"user","content":5}])",
            "'messages[0].content' must be a string or an array of content parts, got an integer",
            "messages[0].content"},
           {R"([{"role":"user","content":["x"]}])",
            "'messages[0].content[0]' must be an object, got a string", "messages[0].content[0]"},
           {R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}])",
            "only content parts of type 'text' are supported", "messages[0].content[0].type"},
           {R"([{"role":"user","content":[{"text":"x"}]}])",
            "only content parts of type 'text' are supported", "messages[0].content[0].type"},
           {R"([{"role":"user","content":[{"type":"text"}]}])",
            "'messages[0].content[0].text' must be a string", "messages[0].content[0].text"},
       }) {
    Rejection r = RejectChat(fmt::format(R"({{"model":"m","messages":{}}})", c.messages));
    EXPECT_EQ(r.message, c.message) << c.messages;
    EXPECT_EQ(r.param, c.param) << c.messages;
  }
  EXPECT_EQ(RejectChat(R"({"model":"m"})").message, "'messages' is required");
}

std::string ChatWithMessages(size_t count, std::string_view content) {
  std::string messages;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) messages += ',';
    messages += fmt::format(R"({{"role":"user","content":"{}"}})", content);
  }
  return fmt::format(R"({{"model":"m","messages":[{}]}})", messages);
}

TEST(ChatRequestTest, BoundsMessagesAndTheirBytes) {
  RequestLimits limits{.max_messages = 3, .max_content_parts = 4, .max_content_bytes = 10};
  EXPECT_TRUE(ParseChatCompletionRequest(ChatWithMessages(3, "abc"), limits).ok());
  EXPECT_EQ(RejectChat(ChatWithMessages(4, "a"), limits).message,
            "'messages' has 4 entries, at most 3 accepted");
  Rejection bytes = RejectChat(ChatWithMessages(3, "abcd"), limits);  // 12 bytes
  EXPECT_EQ(bytes.message, "the request holds more than 10 bytes of text");
  EXPECT_EQ(bytes.param, "messages[2].content");
  EXPECT_TRUE(ParseChatCompletionRequest(ChatWithMessages(1, "0123456789"), limits).ok());
  // Parts count against the bytes and against their own bound, across messages.
  std::string parts = R"([{"type":"text","text":"a"},{"type":"text","text":"b"},)"
                      R"({"type":"text","text":"c"}])";
  std::string two = fmt::format(
      R"({{"model":"m","messages":[{{"role":"user","content":{0}}},{{"role":"user","content":{0}}}]}})",
      parts);
  Rejection part = RejectChat(two, limits);
  EXPECT_EQ(part.message, "the request holds more than 4 content parts");
  EXPECT_EQ(part.param, "messages[1].content[1]");
  limits.max_content_parts = 6;
  limits.max_content_bytes = 5;
  EXPECT_EQ(RejectChat(two, limits).param, "messages[1].content[2]");
  // The default bound is 4096 messages.
  EXPECT_TRUE(ParseChatCompletionRequest(ChatWithMessages(4096, ""), kLimits).ok());
  EXPECT_EQ(RejectChat(ChatWithMessages(4097, "")).message,
            "'messages' has 4097 entries, at most 4096 accepted");
}

TEST(ChatRequestTest, ErrorParamIsOptional) {
  auto r = ParseChatCompletionRequest(Chat(R"(,"n":2)"), kLimits);
  EXPECT_FALSE(r.ok());
  std::string param = "kept";
  EXPECT_TRUE(ParseChatCompletionRequest(Chat(""), kLimits, &param).ok());
  EXPECT_EQ(param, "kept");  // written only on failure
}

TEST(CompletionRequestTest, ParsesAPromptStringOrASingleElementArray) {
  auto r = ParseCompletionRequest(
      R"({"model":"m","prompt":"Once upon","max_tokens":7,"stream":true,)"
      R"("stream_options":{"include_usage":true},"temperature":1,"top_p":0.5,"stop":"\n",)"
      R"("seed":3,"user":"u","echo":false,"logprobs":null,"best_of":1,"suffix":null})",
      kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->prompt, "Once upon");
  EXPECT_EQ(r->params.model, "m");
  EXPECT_EQ(r->params.max_tokens, 7u);
  EXPECT_TRUE(r->params.stream);
  EXPECT_TRUE(r->params.include_usage);
  EXPECT_EQ(r->params.temperature, 1.0);
  EXPECT_EQ(r->params.top_p, 0.5);
  EXPECT_EQ(r->params.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(r->params.seed, 3);
  EXPECT_EQ(r->params.user, "u");
  r = ParseCompletionRequest(R"({"model":"m","prompt":["only one"]})", kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->prompt, "only one");
  EXPECT_EQ(r->params.max_tokens, std::nullopt);
  r = ParseCompletionRequest(R"({"model":"m","prompt":""})", kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->prompt, "");
}

TEST(CompletionRequestTest, RejectsBadPrompts) {
  struct Case {
    std::string prompt, message;
  };
  for (const Case& c : std::vector<Case>{
           {"null", "'prompt' is required"},
           {"5", "'prompt' must be a string or an array of strings, got an integer"},
           {"{}", "'prompt' must be a string or an array of strings, got an object"},
           {"[]", "'prompt' must not be an empty array"},
           {R"(["a","b"])", "'prompt' holds 2 prompts; only one prompt per request is supported"},
           {"[1,2,3]", "'prompt' given as token ids is not supported; send text"},
           {"[[1,2]]", "'prompt' given as token ids is not supported; send text"},
       }) {
    Rejection r = RejectCompletion(fmt::format(R"({{"model":"m","prompt":{}}})", c.prompt));
    EXPECT_EQ(r.message, c.message) << c.prompt;
    EXPECT_EQ(r.param, "prompt") << c.prompt;
  }
  EXPECT_EQ(RejectCompletion(R"({"model":"m"})").message, "'prompt' is required");
  EXPECT_EQ(RejectCompletion(R"({"prompt":"x"})").message, "'model' is required");
  EXPECT_EQ(RejectCompletion(R"({"model":"m","prompt":"x","n":3})").param, "n");
  EXPECT_EQ(RejectCompletion(R"({"model":"m","prompt":"x","temperature":3})").param, "temperature");
  RequestLimits limits{.max_content_bytes = 4};
  EXPECT_TRUE(ParseCompletionRequest(R"({"model":"m","prompt":"abcd"})", limits).ok());
  EXPECT_EQ(RejectCompletion(R"({"model":"m","prompt":["abcde"]})", limits).message,
            "the request holds more than 4 bytes of text");
}

TEST(CompletionRequestTest, MaxCompletionTokensIsNotAField) {
  auto r = ParseCompletionRequest(R"({"model":"m","prompt":"x","max_completion_tokens":"any"})",
                                  kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params.max_tokens, std::nullopt);
}

TEST(ChatTemplateTest, WritesEachMessageThenOpensTheAnswer) {
  EXPECT_EQ(ApplyChatTemplate({{ChatRole::kSystem, "Be brief."}, {ChatRole::kUser, "Hi"}}),
            "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n");
  EXPECT_EQ(ApplyChatTemplate({{ChatRole::kDeveloper, "d"},
                               {ChatRole::kUser, "q"},
                               {ChatRole::kAssistant, ""},
                               {ChatRole::kTool, "t\nu"}}),
            "<|developer|>\nd\n<|user|>\nq\n<|assistant|>\n\n<|tool|>\nt\nu\n<|assistant|>\n");
  EXPECT_EQ(ApplyChatTemplate({}), "<|assistant|>\n");
}

TEST(ChatTemplateTest, ALongerConversationKeepsThePromptOfItsFirstMessages) {
  // What prefix caching relies on: the prompt of a conversation's first turns, less the answer
  // opener, is a prefix of the prompt of the whole conversation.
  std::vector<ChatMessage> chat = {{ChatRole::kUser, "one"}, {ChatRole::kAssistant, "two"}};
  std::string before = ApplyChatTemplate({chat[0]});
  std::string_view opener = "<|assistant|>\n";
  ASSERT_TRUE(before.ends_with(opener));
  before.resize(before.size() - opener.size());
  EXPECT_TRUE(ApplyChatTemplate(chat).starts_with(before));
}

TEST(LabelsTest, EndpointAndRoleNames) {
  EXPECT_EQ(EndpointLabel(ApiEndpoint::kChatCompletions), "chat_completions");
  EXPECT_EQ(EndpointLabel(ApiEndpoint::kCompletions), "completions");
  EXPECT_EQ(RoleName(ChatRole::kSystem), "system");
  EXPECT_EQ(RoleName(ChatRole::kUser), "user");
  EXPECT_EQ(RoleName(ChatRole::kAssistant), "assistant");
  EXPECT_EQ(RoleName(ChatRole::kTool), "tool");
  EXPECT_EQ(RoleName(ChatRole::kDeveloper), "developer");
}

}  // namespace
}  // namespace dynobs::llm::frontend
