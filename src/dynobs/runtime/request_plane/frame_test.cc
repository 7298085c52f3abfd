#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "dynobs/runtime/request_plane/client.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/runtime/request_plane/internal/client_stream.h"
#include "dynobs/runtime/request_plane/internal/frame.h"
#include "dynobs/runtime/request_plane/internal/frame_reader.h"
#include "dynobs/runtime/request_plane/work_handler_metrics.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

// Feeds `bytes` to `reader` as a socket would, in chunks of `chunk`.
void Feed(FrameReader& reader, std::string_view bytes, size_t chunk) {
  while (!bytes.empty()) {
    std::span<char> space = reader.Space();
    size_t n = std::min({chunk, space.size(), bytes.size()});
    std::memcpy(space.data(), bytes.data(), n);
    reader.Commit(n);
    bytes.remove_prefix(n);
  }
}

TEST(FrameTest, RequestRoundTripsWithHeadersBodyAndStampedSendTime) {
  std::string wire;
  RequestHeaders headers = {
      {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"x-frontend-send-ts-ns", "1"},
      {"x-request-id", "abc"}};
  ASSERT_TRUE(AppendRequestFrame(&wire, "generate", headers, R"({"prompt":"hi"})", 42).ok());
  FrameReader reader(1 << 20);
  Feed(reader, wire, 3);
  FrameType type{};
  std::string_view payload;
  ASSERT_EQ(reader.Next(&type, &payload), FrameReader::Result::kFrame);
  EXPECT_EQ(type, FrameType::kRequest);
  EXPECT_EQ(DecodeRequestEndpoint(payload), "generate");
  DecodedRequest request = DecodeRequest(payload);
  ASSERT_EQ(request.fault, RequestFault::kNone) << request.error;
  EXPECT_EQ(request.endpoint, "generate");
  EXPECT_EQ(request.body, R"({"prompt":"hi"})");
  EXPECT_EQ(request.send_ts_nanos, 42);  // the stamp replaces the caller's value
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(FindHeader(request.headers, "x-request-id"), "abc");
  EXPECT_EQ(FindHeader(request.headers, kSendTimestampHeader), "42");
  EXPECT_EQ(reader.Next(&type, &payload), FrameReader::Result::kNeedMore);
}

TEST(FrameTest, ManyItemsAndEndParseFromOneBuffer) {
  std::string wire;
  AppendEmptyFrame(&wire, FrameType::kPrologue);
  for (int i = 0; i < 1000; ++i) AppendItemFrame(&wire, "token-" + std::to_string(i));
  AppendEndFrame(&wire, Status(StatusCode::kResourceExhausted, "overloaded"), true);
  FrameReader reader(1 << 20);
  Feed(reader, wire, 7000);
  FrameType type{};
  std::string_view payload;
  int items = 0;
  std::optional<DecodedEnd> end;
  while (!end) {
    FrameReader::Result r = reader.Next(&type, &payload);
    if (r == FrameReader::Result::kNeedMore) {
      ADD_FAILURE() << "ran out of frames";
      break;
    }
    ASSERT_EQ(r, FrameReader::Result::kFrame);
    if (type == FrameType::kItem) {
      EXPECT_EQ(payload, "token-" + std::to_string(items++));
    }
    if (type == FrameType::kEnd) end = *DecodeEnd(payload);
  }
  EXPECT_EQ(items, 1000);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->status, Status(StatusCode::kResourceExhausted, "overloaded"));
  EXPECT_TRUE(end->closing);
}

TEST(FrameTest, ReaderRefusesUnknownTypesAndOversizedFramesWithoutAllocatingThem) {
  FrameReader reader(1024);
  Feed(reader, std::string("\x7f\xff\xff\xff\x01", 5), 5);
  FrameType type{};
  std::string_view payload;
  EXPECT_EQ(reader.Next(&type, &payload), FrameReader::Result::kOversized);
  EXPECT_EQ(reader.bad_value(), 0x7fffffffu);
  EXPECT_LE(reader.Space().size(), size_t{64} << 10);  // no 2 GiB buffer

  FrameReader garbage(1024);
  Feed(garbage, "GET / HTTP/1.1\r\n\r\n", 64);
  EXPECT_EQ(garbage.Next(&type, &payload), FrameReader::Result::kUnknownType);  // '/'
  FrameReader bad_type(1 << 20);
  Feed(bad_type, std::string("\0\0\0\0\x09", 5), 5);
  EXPECT_EQ(bad_type.Next(&type, &payload), FrameReader::Result::kUnknownType);
  EXPECT_EQ(bad_type.bad_value(), 9u);
}

TEST(FrameTest, LargeFrameGrowsTheBufferThenItShrinksBack) {
  std::string wire;
  AppendItemFrame(&wire, std::string(3 << 20, 'x'));
  FrameReader reader(8 << 20);
  Feed(reader, wire, 1 << 16);
  FrameType type{};
  std::string_view payload;
  ASSERT_EQ(reader.Next(&type, &payload), FrameReader::Result::kFrame);
  EXPECT_EQ(payload.size(), size_t{3} << 20);
  EXPECT_LT(reader.Space().size(), size_t{1} << 20);
}

TEST(FrameTest, DecodeClassifiesFaults) {
  // Not version 1, or no endpoint: nobody to account to.
  EXPECT_EQ(DecodeRequest(std::string("\x02\0\x01g", 4)).fault, RequestFault::kPrefix);
  EXPECT_EQ(DecodeRequest(std::string("\x01\0\x09gen", 6)).fault, RequestFault::kPrefix);
  // A header section that does not fit: invalid_message.
  std::string truncated(
      "\x01\0\x03gen\0\x02\0\x01"
      "a",
      11);
  EXPECT_EQ(DecodeRequest(truncated).fault, RequestFault::kStructure);
  EXPECT_EQ(DecodeRequest(std::string("\x01\0\x03gen", 6)).fault, RequestFault::kStructure);
  // Well framed but invalid: deserialization.
  std::string wire;
  ASSERT_TRUE(AppendRequestFrame(&wire, "gen", {{"Bad Name", "v"}}, "", std::nullopt).ok());
  EXPECT_EQ(DecodeRequest(std::string_view(wire).substr(kFrameHeaderBytes)).fault,
            RequestFault::kContent);
  wire.clear();
  ASSERT_TRUE(
      AppendRequestFrame(&wire, "gen", {{"x-frontend-send-ts-ns", "soon"}}, "", std::nullopt).ok());
  EXPECT_EQ(DecodeRequest(std::string_view(wire).substr(kFrameHeaderBytes)).fault,
            RequestFault::kContent);
}

TEST(FrameTest, StatusCodesSurviveTheWire) {
  for (StatusCode code :
       {StatusCode::kOk, StatusCode::kCancelled, StatusCode::kInvalidArgument,
        StatusCode::kNotFound, StatusCode::kResourceExhausted, StatusCode::kUnavailable,
        StatusCode::kDeadlineExceeded, StatusCode::kInternal}) {
    EXPECT_EQ(FromWireCode(WireCode(code)), code);
  }
  EXPECT_EQ(FromWireCode(200), StatusCode::kInternal);
  EXPECT_FALSE(DecodeEnd("x").ok());
}

TEST(FrameTest, AddressesSplit) {
  EXPECT_EQ(SplitAddress("127.0.0.1:8080")->host, "127.0.0.1");
  EXPECT_EQ(SplitAddress("127.0.0.1:8080")->port, 8080);
  EXPECT_EQ(SplitAddress("[::1]:9")->host, "::1");
  EXPECT_EQ(SplitAddress("worker-0.svc:7")->host, "worker-0.svc");
  EXPECT_FALSE(SplitAddress("nohost"));
  EXPECT_FALSE(SplitAddress(":80"));
  EXPECT_FALSE(SplitAddress("h:0"));
  EXPECT_FALSE(SplitAddress("h:99999"));
  EXPECT_FALSE(SplitAddress("[::1]9"));
}

TEST(FrameTest, TransitSaturatesAtZero) {
  EXPECT_EQ(TransitSeconds(2'000'000'000, 1'000'000'000), 0.0);
  EXPECT_DOUBLE_EQ(TransitSeconds(1'000'000'000, 1'500'000'000), 0.5);
}

TEST(HeadersTest, AddTraceHeadersFillsTheInternalHopAndReplacesOldValues) {
  auto trace = tracing::TraceId::FromHex("0af7651916cd43dd8448eb211c80319c");
  auto span = tracing::SpanId::FromHex("b7ad6b7169203331");
  tracing::SpanContext context =
      tracing::SpanContext(*trace, *span, tracing::kSampledFlag, false)
          .WithTracestate("vendor=1")
          .WithRequestIds("client-42", "8372eac7-5f43-4d76-beca-0a94cfb311d0");
  RequestHeaders headers = {{"traceparent", "stale"}, {"model", "m"}};
  AddTraceHeaders(context, &headers);
  EXPECT_EQ(FindHeader(headers, "traceparent"),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(FindHeader(headers, "tracestate"), "vendor=1");
  EXPECT_EQ(FindHeader(headers, "x-request-id"), "client-42");
  EXPECT_EQ(FindHeader(headers, "request-id"), "8372eac7-5f43-4d76-beca-0a94cfb311d0");
  EXPECT_EQ(FindHeader(headers, "model"), "m");
  EXPECT_EQ(headers.size(), 5u);
}

}  // namespace
}  // namespace dynobs::runtime::request_plane_internal
