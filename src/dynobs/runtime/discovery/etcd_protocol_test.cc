#include "dynobs/runtime/discovery/internal/etcd_protocol.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "dynobs/runtime/discovery/internal/etcd_client.h"

namespace dynobs::runtime::discovery_internal {
namespace {

namespace json = boost::json;

TEST(EtcdProtocolTest, Base64RoundTripsAndRejectsBadText) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("/dynobs/instances/a"), "L2R5bm9icy9pbnN0YW5jZXMvYQ==");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 17) {
    EXPECT_EQ(Base64Decode(Base64Encode(all.substr(0, n))), all.substr(0, n));
  }
  for (std::string_view bad : {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zm9", "Zg==Zg=="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(EtcdProtocolTest, PrefixEndIsTheNextKeyAfterThePrefix) {
  EXPECT_EQ(PrefixEnd("/dynobs/instances/"), "/dynobs/instances0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff"), std::string(1, '\0'));
}

TEST(EtcdProtocolTest, RequestsUseBase64AndStringInt64s) {
  EXPECT_EQ(json::serialize(PutRequest("k", "v", 42)),
            R"({"key":"aw==","value":"dg==","lease":"42"})");
  EXPECT_EQ(json::serialize(RangeRequest("/p/")), R"({"key":"L3Av","range_end":"L3Aw"})");
  EXPECT_EQ(json::serialize(WatchRequest("/p/", 7)),
            R"({"create_request":{"key":"L3Av","range_end":"L3Aw","start_revision":"7"}})");
  EXPECT_EQ(json::serialize(LeaseRequest(-5)), R"({"ID":"-5"})");
}

TEST(EtcdProtocolTest, ParsesRangeAndWatchResponses) {
  auto range = json::parse(
      R"({"header":{"revision":"12"},"kvs":[{"key":"aw==","value":"dg==","mod_revision":"9"},)"
      R"({"key":"bA==","mod_revision":"10"}],"count":"2"})");
  auto parsed = ParseRange(range.as_object());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->revision, 12);
  ASSERT_EQ(parsed->kvs.size(), 2u);
  EXPECT_EQ(parsed->kvs[0].key, "k");
  EXPECT_EQ(parsed->kvs[0].value, "v");
  EXPECT_EQ(parsed->kvs[0].mod_revision, 9);
  EXPECT_EQ(parsed->kvs[1].value, "");  // default values are left out by the gateway

  auto watch = json::parse(R"({"header":{},"events":[{"kv":{"key":"aw==","value":"dg=="}},)"
                           R"({"type":"DELETE","kv":{"key":"aw==","mod_revision":"3"}}]})");
  auto events = ParseWatchEvents(watch.as_object());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_FALSE((*events)[0].is_delete);
  EXPECT_TRUE((*events)[1].is_delete);

  EXPECT_FALSE(ParseRange(json::parse(R"({"kvs":[]})").as_object()).ok());
  EXPECT_FALSE(ParseRange(json::parse(R"({"header":{},"kvs":[{"key":"*"}]})").as_object()).ok());
  EXPECT_FALSE(ParseRange(json::parse(R"({"header":{"revision":"x"}})").as_object()).ok());
}

TEST(EtcdProtocolTest, DecodeInstanceChecksTheKey) {
  Instance i;
  i.path = {"ns", "c", "e"};
  i.instance_id = 255;
  i.address = "h:1";
  KeyValue kv{"/dynobs/instances/ns/c/e/ff", i.ToJson(), 1};
  auto decoded = DecodeInstance("/dynobs/instances/", kv);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, i);
  kv.key = "/dynobs/instances/ns/c/e/fe";
  EXPECT_FALSE(DecodeInstance("/dynobs/instances/", kv).ok());
  kv.value = "{";
  EXPECT_FALSE(DecodeInstance("/dynobs/instances/", kv).ok());
}

TEST(JsonStreamSplitterTest, SplitsObjectsAcrossAnyChunking) {
  const std::string stream =
      "{\"result\":{\"created\":true}}\n{\"result\":{\"events\":[{\"kv\":{\"key\":\"a}\"}}]}}"
      "\r\n  {\"a\":\"{\\\"\"}";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    JsonStreamSplitter splitter(1024);
    std::vector<std::string> seen;
    bool stopped = false;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      ASSERT_TRUE(splitter
                      .Feed(
                          std::string_view(stream).substr(at, chunk),
                          [&](const json::object& o) {
                            seen.push_back(json::serialize(o));
                            return true;
                          },
                          stopped)
                      .ok());
    }
    ASSERT_EQ(seen.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(seen[1], R"({"result":{"events":[{"kv":{"key":"a}"}}]}})");
    EXPECT_EQ(seen[2], R"({"a":"{\""})");
  }
}

TEST(JsonStreamSplitterTest, StopsBoundsAndRejects) {
  bool stopped = false;
  int calls = 0;
  JsonStreamSplitter splitter(64);
  auto count = [&](const json::object&) { return ++calls < 1; };
  ASSERT_TRUE(splitter.Feed("{}{}{}", count, stopped).ok());
  EXPECT_TRUE(stopped);
  EXPECT_EQ(calls, 1);

  stopped = false;
  JsonStreamSplitter small(64);
  std::string big = "{\"k\":\"" + std::string(100, 'x');
  EXPECT_EQ(small
                .Feed(
                    big, [](const json::object&) { return true; }, stopped)
                .code(),
            StatusCode::kResourceExhausted);

  JsonStreamSplitter bad(64);
  EXPECT_EQ(bad.Feed(
                   "{\"a\":}", [](const json::object&) { return true; }, stopped)
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dynobs::runtime::discovery_internal
