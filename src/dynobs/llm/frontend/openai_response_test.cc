#include "dynobs/llm/frontend/openai_response.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <boost/json.hpp>

namespace dynobs::llm::frontend {
namespace {

namespace json = boost::json;

const ResponseMeta kChatMeta{
    .id = "chatcmpl-abc", .model = "Qwen/Qwen3-0.6B", .created = 1700000000};
const ResponseMeta kCmplMeta{.id = "cmpl-abc", .model = "m\"1", .created = 1700000001};

json::object ParseObject(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.as_object() : json::object{};
}

// The JSON of each "data: {...}\n\n" event, in order; fails on any other framing.
std::vector<json::object> SseEvents(std::string_view stream) {
  std::vector<json::object> events;
  while (!stream.empty()) {
    EXPECT_TRUE(stream.starts_with("data: ")) << stream;
    size_t end = stream.find("\n\n");
    EXPECT_NE(end, std::string_view::npos) << stream;
    if (!stream.starts_with("data: ") || end == std::string_view::npos) break;
    std::string_view data = stream.substr(6, end - 6);
    EXPECT_EQ(data.find('\n'), std::string_view::npos);
    if (data != "[DONE]") events.push_back(ParseObject(data));
    stream.remove_prefix(end + 2);
  }
  return events;
}

void ExpectUsage(const json::value& usage, int64_t prompt, int64_t completion, int64_t cached) {
  EXPECT_EQ(usage, (json::value{{"prompt_tokens", prompt},
                                {"completion_tokens", completion},
                                {"total_tokens", prompt + completion},
                                {"prompt_tokens_details", {{"cached_tokens", cached}}}}));
}

TEST(ResponseIdTest, FreshRandomIdsWithOpenAIsPrefixes) {
  std::string chat = NewResponseId(ApiEndpoint::kChatCompletions);
  std::string cmpl = NewResponseId(ApiEndpoint::kCompletions);
  EXPECT_TRUE(chat.starts_with("chatcmpl-")) << chat;
  EXPECT_EQ(chat.size(), 9u + 32u);
  EXPECT_TRUE(cmpl.starts_with("cmpl-")) << cmpl;
  EXPECT_EQ(cmpl.size(), 5u + 32u);
  EXPECT_EQ(chat.find_first_not_of("0123456789abcdef", 9), std::string::npos);
}

TEST(ResponseIdTest, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (auto& mine : ids) {
    threads.emplace_back([&mine] {
      for (int i = 0; i < 1000; ++i) mine.push_back(NewResponseId(ApiEndpoint::kCompletions));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& mine : ids) all.insert(mine.begin(), mine.end());
  EXPECT_EQ(all.size(), 4000u);
}

TEST(ResponseMetaTest, CreatedIsNowInUnixSeconds) {
  int64_t before = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ResponseMeta meta = NewResponseMeta(ApiEndpoint::kChatCompletions, "M");
  EXPECT_TRUE(meta.id.starts_with("chatcmpl-"));
  EXPECT_EQ(meta.model, "M");
  EXPECT_GE(meta.created, before);
  EXPECT_LE(meta.created, before + 5);
}

TEST(UnaryResponseTest, ChatCompletionHasEveryFieldOpenAIsClientReads) {
  std::string body =
      ChatCompletionBody(kChatMeta, "Hello \"there\"\n", "stop",
                         Usage{.prompt_tokens = 12, .completion_tokens = 5, .cached_tokens = 8});
  json::object o = ParseObject(body);
  EXPECT_EQ(o.size(), 6u);
  EXPECT_EQ(o.at("id"), "chatcmpl-abc");
  EXPECT_EQ(o.at("object"), "chat.completion");
  EXPECT_EQ(o.at("created"), 1700000000);
  EXPECT_EQ(o.at("model"), "Qwen/Qwen3-0.6B");
  EXPECT_EQ(o.at("choices"),
            (json::value{
                json::object{{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", "Hello \"there\"\n"}}},
                             {"logprobs", nullptr},
                             {"finish_reason", "stop"}}}));
  ExpectUsage(o.at("usage"), 12, 5, 8);
  EXPECT_TRUE(body.starts_with(R"({"id":"chatcmpl-abc","object":"chat.completion",)"
                               R"("created":1700000000,"model":"Qwen/Qwen3-0.6B","choices":)"))
      << body;
}

TEST(UnaryResponseTest, CompletionHasEveryFieldOpenAIsClientReads) {
  json::object o = ParseObject(CompletionBody(kCmplMeta, " upon a time", "length",
                                              Usage{.prompt_tokens = 3, .completion_tokens = 4}));
  EXPECT_EQ(o.size(), 6u);
  EXPECT_EQ(o.at("id"), "cmpl-abc");
  EXPECT_EQ(o.at("object"), "text_completion");
  EXPECT_EQ(o.at("created"), 1700000001);
  EXPECT_EQ(o.at("model"), "m\"1");
  EXPECT_EQ(o.at("choices"), (json::value{json::object{{"index", 0},
                                                       {"text", " upon a time"},
                                                       {"logprobs", nullptr},
                                                       {"finish_reason", "length"}}}));
  ExpectUsage(o.at("usage"), 3, 4, 0);
}

TEST(UnaryResponseTest, EmptyFinishReasonIsNullAndTotalsDoNotOverflow) {
  json::object o = ParseObject(ChatCompletionBody(
      kChatMeta, "", "", Usage{.prompt_tokens = UINT32_MAX, .completion_tokens = UINT32_MAX}));
  EXPECT_TRUE(o.at("choices").as_array()[0].as_object().at("finish_reason").is_null());
  EXPECT_EQ(o.at("usage").as_object().at("total_tokens"), 2 * uint64_t{UINT32_MAX});
}

TEST(StreamChunkWriterTest, ChatStreamExactBytes) {
  StreamChunkWriter w(ApiEndpoint::kChatCompletions,
                      {.id = "chatcmpl-1", .model = "m", .created = 7}, false);
  std::string out;
  w.AppendStart(out);
  w.AppendDelta(out, "Hi \"x\"");
  w.AppendFinish(out, "stop");
  StreamChunkWriter::AppendDone(out);
  const std::string head =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m",)";
  EXPECT_EQ(out, head +
                     R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},)"
                     R"("logprobs":null,"finish_reason":null}]})"
                     "\n\n" +
                     head +
                     R"("choices":[{"index":0,"delta":{"content":"Hi \"x\""},)"
                     R"("logprobs":null,"finish_reason":null}]})"
                     "\n\n" +
                     head +
                     R"("choices":[{"index":0,"delta":{},"logprobs":null,)"
                     R"("finish_reason":"stop"}]})"
                     "\n\n"
                     "data: [DONE]\n\n");
}

TEST(StreamChunkWriterTest, ChatStreamWithUsageExactBytes) {
  StreamChunkWriter w(ApiEndpoint::kChatCompletions,
                      {.id = "chatcmpl-1", .model = "m", .created = 7}, true);
  std::string out;
  w.AppendDelta(out, "a");
  w.AppendUsage(out, Usage{.prompt_tokens = 2, .completion_tokens = 1, .cached_tokens = 1});
  const std::string head =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m",)";
  EXPECT_EQ(out, head +
                     R"("choices":[{"index":0,"delta":{"content":"a"},)"
                     R"("logprobs":null,"finish_reason":null}],"usage":null})"
                     "\n\n" +
                     head +
                     R"("choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,)"
                     R"("total_tokens":3,"prompt_tokens_details":{"cached_tokens":1}}})"
                     "\n\n");
}

TEST(StreamChunkWriterTest, CompletionStreamExactBytes) {
  StreamChunkWriter w(ApiEndpoint::kCompletions, {.id = "cmpl-1", .model = "m", .created = 7},
                      false);
  std::string out;
  w.AppendStart(out);  // completions have no role chunk
  EXPECT_EQ(out, "");
  w.AppendDelta(out, "x\n");
  w.AppendFinish(out, "length");
  StreamChunkWriter::AppendDone(out);
  const std::string head =
      R"(data: {"id":"cmpl-1","object":"text_completion","created":7,"model":"m",)";
  EXPECT_EQ(out, head +
                     R"("choices":[{"index":0,"text":"x\n","logprobs":null,)"
                     R"("finish_reason":null}]})"
                     "\n\n" +
                     head +
                     R"("choices":[{"index":0,"text":"","logprobs":null,)"
                     R"("finish_reason":"length"}]})"
                     "\n\n"
                     "data: [DONE]\n\n");
}

TEST(StreamChunkWriterTest, ChatStreamParsesAsOpenAIChunks) {
  StreamChunkWriter w(ApiEndpoint::kChatCompletions, kChatMeta, true);
  std::string out;
  w.AppendStart(out);
  for (std::string_view piece : {"Hel", "lo", " \\ \t\x01"}) w.AppendDelta(out, piece);
  w.AppendFinish(out, "stop");
  w.AppendUsage(out, Usage{.prompt_tokens = 10, .completion_tokens = 3, .cached_tokens = 4});
  StreamChunkWriter::AppendDone(out);
  EXPECT_TRUE(out.ends_with("}\n\ndata: [DONE]\n\n"));
  std::vector<json::object> events = SseEvents(out);
  ASSERT_EQ(events.size(), 6u);
  std::string text;
  for (size_t i = 0; i < events.size(); ++i) {
    const json::object& e = events[i];
    EXPECT_EQ(e.at("id"), "chatcmpl-abc");
    EXPECT_EQ(e.at("object"), "chat.completion.chunk");
    EXPECT_EQ(e.at("created"), 1700000000);
    EXPECT_EQ(e.at("model"), "Qwen/Qwen3-0.6B");
    const json::array& choices = e.at("choices").as_array();
    if (i == 5) {
      EXPECT_TRUE(choices.empty());
      ExpectUsage(e.at("usage"), 10, 3, 4);
      continue;
    }
    EXPECT_TRUE(e.at("usage").is_null());
    ASSERT_EQ(choices.size(), 1u);
    const json::object& c = choices[0].as_object();
    EXPECT_EQ(c.at("index"), 0);
    EXPECT_TRUE(c.at("logprobs").is_null());
    const json::object& delta = c.at("delta").as_object();
    if (i == 0) {
      EXPECT_EQ(delta, (json::object{{"role", "assistant"}, {"content", ""}}));
    }
    if (i == 4) {
      EXPECT_TRUE(delta.empty());
      EXPECT_EQ(c.at("finish_reason"), "stop");
    } else {
      EXPECT_TRUE(c.at("finish_reason").is_null());
      text += delta.at("content").as_string();
    }
  }
  EXPECT_EQ(text, "Hello \\ \t\x01");
}

TEST(StreamChunkWriterTest, CompletionStreamParsesWithUsage) {
  StreamChunkWriter w(ApiEndpoint::kCompletions, kCmplMeta, true);
  std::string out;
  w.AppendDelta(out, "a");
  w.AppendFinish(out, "stop");
  w.AppendUsage(out, Usage{.prompt_tokens = 1, .completion_tokens = 1});
  std::vector<json::object> events = SseEvents(out);
  ASSERT_EQ(events.size(), 3u);
  for (const json::object& e : events) {
    EXPECT_EQ(e.at("object"), "text_completion");
    EXPECT_EQ(e.at("model"), "m\"1");
  }
  EXPECT_EQ(events[0].at("choices").as_array()[0].as_object().at("text"), "a");
  EXPECT_TRUE(events[0].at("usage").is_null());
  EXPECT_EQ(events[1].at("choices").as_array()[0].as_object().at("finish_reason"), "stop");
  EXPECT_TRUE(events[2].at("choices").as_array().empty());
  ExpectUsage(events[2].at("usage"), 1, 1, 0);
}

TEST(ModelListTest, ListsEveryModel) {
  std::vector<ModelEntry> models = {{.id = "a/b", .created = 5},
                                    {.id = "c", .created = 6, .owned_by = "me"}};
  std::string body = ModelListBody(models);
  EXPECT_EQ(body,
            R"({"object":"list","data":[{"id":"a/b","object":"model","created":5,)"
            R"("owned_by":"dynobs"},{"id":"c","object":"model","created":6,"owned_by":"me"}]})");
  json::object o = ParseObject(body);
  EXPECT_EQ(o.at("data").as_array().size(), 2u);
  EXPECT_EQ(ModelListBody({}), R"({"object":"list","data":[]})");
}

TEST(Utf8Test, HoldsBackAnUnfinishedSequence) {
  const std::string e_acute = "\xc3\xa9";        // 2 bytes
  const std::string yen = "\xe5\x86\x86";        // 3 bytes
  const std::string emoji = "\xf0\x9f\x98\x80";  // 4 bytes
  EXPECT_EQ(Utf8CompleteLength(""), 0u);
  EXPECT_EQ(Utf8CompleteLength("ab"), 2u);
  EXPECT_EQ(Utf8CompleteLength("a" + e_acute), 3u);
  EXPECT_EQ(Utf8CompleteLength("a" + e_acute.substr(0, 1)), 1u);
  EXPECT_EQ(Utf8CompleteLength("a" + yen), 4u);
  EXPECT_EQ(Utf8CompleteLength("a" + yen.substr(0, 1)), 1u);
  EXPECT_EQ(Utf8CompleteLength("a" + yen.substr(0, 2)), 1u);
  EXPECT_EQ(Utf8CompleteLength(emoji), 4u);
  EXPECT_EQ(Utf8CompleteLength(emoji.substr(0, 3)), 0u);
  EXPECT_EQ(Utf8CompleteLength("xy" + emoji + emoji.substr(0, 2)), 6u);
  // Stray continuation bytes are not ours to fix: nothing is held back for them.
  EXPECT_EQ(Utf8CompleteLength("a\x80\x80\x80\x80"), 5u);
}

}  // namespace
}  // namespace dynobs::llm::frontend
