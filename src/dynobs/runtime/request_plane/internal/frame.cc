#include "dynobs/runtime/request_plane/internal/frame.h"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "dynobs/runtime/request_plane/headers.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

void AppendU16(std::string* out, size_t v) {
  out->push_back(static_cast<char>((v >> 8) & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

// Reads from a payload front to back; any read past the end fails the reader for good.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}

  bool U8(uint8_t* v) {
    if (data_.empty()) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U16(size_t* v) {
    if (data_.size() < 2) return false;
    *v = (size_t{static_cast<uint8_t>(data_[0])} << 8) | static_cast<uint8_t>(data_[1]);
    data_.remove_prefix(2);
    return true;
  }
  bool Bytes(size_t n, std::string_view* v) {
    if (data_.size() < n) return false;
    *v = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool String16(std::string_view* v) {
    size_t n = 0;
    return U16(&n) && Bytes(n, v);
  }
  [[nodiscard]] std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kPunct = "!#$%&'*+-.^_`|~";
  return kPunct.find(c) != std::string_view::npos;
}

bool IsLowercaseToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsValidValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(v > kMax ? kMax : v);
}

// The header section of a request (after the endpoint name); fills `out`.
void DecodeHeaders(Cursor* cursor, DecodedRequest* out) {
  size_t count = 0;
  if (!cursor->U16(&count)) {
    out->fault = RequestFault::kStructure;
    out->error = "request has no header section";
    return;
  }
  out->headers.reserve(count < kMaxHeaders ? count : kMaxHeaders);
  for (size_t i = 0; i < count; ++i) {
    std::string_view name, value;
    if (!cursor->String16(&name) || !cursor->String16(&value)) {
      out->fault = RequestFault::kStructure;
      out->error = "request header section is truncated";
      return;
    }
    if (out->fault == RequestFault::kNone && (!IsLowercaseToken(name) || !IsValidValue(value))) {
      out->fault = RequestFault::kContent;
      out->error = "request header is not a lowercase token with a printable value";
    }
    out->headers.emplace_back(std::string(name), std::string(value));
  }
  if (count > kMaxHeaders && out->fault == RequestFault::kNone) {
    out->fault = RequestFault::kContent;
    out->error = "request has more than 256 headers";
  }
}

}  // namespace

void AppendFrameHeader(std::string* out, FrameType type, size_t payload_bytes) {
  std::array<char, kFrameHeaderBytes> h{};
  auto n = static_cast<uint32_t>(payload_bytes);
  h[0] = static_cast<char>((n >> 24) & 0xff);
  h[1] = static_cast<char>((n >> 16) & 0xff);
  h[2] = static_cast<char>((n >> 8) & 0xff);
  h[3] = static_cast<char>(n & 0xff);
  h[4] = static_cast<char>(type);
  out->append(h.data(), h.size());
}

size_t EndFrameBytes(const Status& status) {
  return kFrameHeaderBytes + 2 + status.message().size();
}

void AppendEndFrame(std::string* out, const Status& status, bool closing) {
  AppendFrameHeader(out, FrameType::kEnd, 2 + status.message().size());
  out->push_back(static_cast<char>(WireCode(status.code())));
  out->push_back(static_cast<char>(closing ? kEndFlagClosing : 0));
  out->append(status.message());
}

Status AppendRequestFrame(std::string* out, std::string_view endpoint,
                          const RequestHeaders& headers, std::string_view body,
                          std::optional<int64_t> send_ts_nanos) {
  std::array<char, 24> ts{};
  std::string_view ts_text;
  if (send_ts_nanos) {
    auto [end, ec] = std::to_chars(ts.data(), ts.data() + ts.size(), *send_ts_nanos);
    ts_text = std::string_view(ts.data(), static_cast<size_t>(end - ts.data()));
  }
  size_t count = send_ts_nanos ? 1 : 0;
  size_t payload = 1 + 2 + endpoint.size() + 2 + body.size();
  if (endpoint.size() > kMaxHeaderPartBytes) return InvalidArgumentError("endpoint name too long");
  for (const auto& [name, value] : headers) {
    if (send_ts_nanos && name == kSendTimestampHeader) continue;
    if (name.size() > kMaxHeaderPartBytes || value.size() > kMaxHeaderPartBytes) {
      return InvalidArgumentError("request header '" + name.substr(0, 64) + "' over 65535 bytes");
    }
    payload += 4 + name.size() + value.size();
    ++count;
  }
  if (count > kMaxHeaders) return InvalidArgumentError("more than 256 request headers");
  if (send_ts_nanos) payload += 4 + kSendTimestampHeader.size() + ts_text.size();
  out->reserve(out->size() + kFrameHeaderBytes + payload);
  AppendFrameHeader(out, FrameType::kRequest, payload);
  out->push_back(static_cast<char>(kProtocolVersion));
  AppendU16(out, endpoint.size());
  out->append(endpoint);
  AppendU16(out, count);
  auto append_header = [out](std::string_view name, std::string_view value) {
    AppendU16(out, name.size());
    out->append(name);
    AppendU16(out, value.size());
    out->append(value);
  };
  for (const auto& [name, value] : headers) {
    if (!(send_ts_nanos && name == kSendTimestampHeader)) append_header(name, value);
  }
  if (send_ts_nanos) append_header(kSendTimestampHeader, ts_text);
  out->append(body);
  return Status::Ok();
}

std::optional<std::string_view> DecodeRequestEndpoint(std::string_view payload) {
  Cursor cursor(payload);
  uint8_t version = 0;
  std::string_view endpoint;
  if (!cursor.U8(&version) || version != kProtocolVersion || !cursor.String16(&endpoint)) {
    return std::nullopt;
  }
  return endpoint;
}

DecodedRequest DecodeRequest(std::string_view payload) {
  DecodedRequest out;
  Cursor cursor(payload);
  uint8_t version = 0;
  if (!cursor.U8(&version) || version != kProtocolVersion || !cursor.String16(&out.endpoint)) {
    out.fault = RequestFault::kPrefix;
    out.error = "not a request-plane request of protocol version 1";
    return out;
  }
  DecodeHeaders(&cursor, &out);
  if (out.fault == RequestFault::kStructure) return out;
  out.body = cursor.rest();
  for (const auto& [name, value] : out.headers) {
    if (name != kSendTimestampHeader) continue;
    out.send_ts_nanos = ParseTimestamp(value);
    if (!out.send_ts_nanos && out.fault == RequestFault::kNone) {
      out.fault = RequestFault::kContent;
      out.error = "x-frontend-send-ts-ns is not a decimal integer";
    }
  }
  return out;
}

StatusOr<DecodedEnd> DecodeEnd(std::string_view payload) {
  if (payload.size() < 2) return InternalError("truncated END frame from the worker");
  DecodedEnd end;
  StatusCode code = FromWireCode(static_cast<uint8_t>(payload[0]));
  end.closing = (static_cast<uint8_t>(payload[1]) & kEndFlagClosing) != 0;
  if (code != StatusCode::kOk) end.status = Status(code, std::string(payload.substr(2)));
  return end;
}

namespace {
// Wire numbers are part of the protocol: never renumber, only append.
constexpr std::array<std::pair<StatusCode, uint8_t>, 11> kWireCodes = {{
    {StatusCode::kOk, 0},
    {StatusCode::kCancelled, 1},
    {StatusCode::kInvalidArgument, 2},
    {StatusCode::kNotFound, 3},
    {StatusCode::kResourceExhausted, 4},
    {StatusCode::kUnavailable, 5},
    {StatusCode::kDeadlineExceeded, 6},
    {StatusCode::kInternal, 7},
    {StatusCode::kFailedPrecondition, 8},
    {StatusCode::kUnimplemented, 9},
    {StatusCode::kAlreadyExists, 10},
}};
}  // namespace

uint8_t WireCode(StatusCode code) {
  for (const auto& [c, w] : kWireCodes) {
    if (c == code) return w;
  }
  return 7;
}

StatusCode FromWireCode(uint8_t wire) {
  for (const auto& [c, w] : kWireCodes) {
    if (w == wire) return c;
  }
  return StatusCode::kInternal;
}

}  // namespace dynobs::runtime::request_plane_internal
