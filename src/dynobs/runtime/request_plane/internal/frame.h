#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dynobs/common/status.h"
#include "dynobs/runtime/request_plane/stream.h"

// The request plane's wire format (docs/request-plane.md, "Wire format"). Every frame is
//
//   length: u32 big-endian (payload bytes, header excluded) | type: u8 | payload
//
// Caller to worker: REQUEST, CANCEL. Worker to caller: PROLOGUE, ITEM, END. One stream at a
// time per connection: REQUEST, then the worker's PROLOGUE (or an END at once), ITEMs, END.
//
// REQUEST payload: version u8 (1) | endpoint length u16 | endpoint | header count u16 |
//   per header: name length u16 | name | value length u16 | value | body (the rest).
// END payload: code u8 (WireCode) | flags u8 (bit 0: the worker closes the connection) |
//   message (the rest, UTF-8).
// CANCEL and PROLOGUE have no payload; an ITEM's payload is the item.
//
// Everything here is a pure function of its arguments: thread-safe, no I/O.
namespace dynobs::runtime::request_plane_internal {

enum class FrameType : uint8_t {
  kRequest = 1,
  kCancel = 2,
  kPrologue = 3,
  kItem = 4,
  kEnd = 5,
};

inline constexpr size_t kFrameHeaderBytes = 5;
inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kMaxHeaders = 256;
inline constexpr size_t kMaxHeaderPartBytes = 65535;  // a name or a value (u16 length)
inline constexpr uint8_t kEndFlagClosing = 0x01;

// The header of one frame. Appending reserves nothing: `out` grows as needed.
void AppendFrameHeader(std::string* out, FrameType type, size_t payload_bytes);

inline void AppendItemFrame(std::string* out, std::string_view item) {
  AppendFrameHeader(out, FrameType::kItem, item.size());
  out->append(item);
}
inline void AppendEmptyFrame(std::string* out, FrameType type) { AppendFrameHeader(out, type, 0); }
void AppendEndFrame(std::string* out, const Status& status, bool closing);
[[nodiscard]] inline size_t ItemFrameBytes(size_t item_bytes) {
  return kFrameHeaderBytes + item_bytes;
}
[[nodiscard]] size_t EndFrameBytes(const Status& status);

// Appends the REQUEST frame. `send_ts_nanos`, when set, adds an `x-frontend-send-ts-ns` header
// (replacing any the caller set). Errors: an endpoint, header name or value over 65535 bytes, or
// more than kMaxHeaders headers (nothing is appended then).
Status AppendRequestFrame(std::string* out, std::string_view endpoint,
                          const RequestHeaders& headers, std::string_view body,
                          std::optional<int64_t> send_ts_nanos);

// Why a REQUEST payload was refused, in the order the worker finds out:
//  kPrefix: the version or the endpoint name is unreadable, so no endpoint can account for it;
//  kStructure: the header section's lengths do not fit the payload (error_type invalid_message);
//  kContent: a header is well framed but invalid: a name that is not a lowercase token, or an
//            x-frontend-send-ts-ns that is not a decimal integer (error_type deserialization).
enum class RequestFault : uint8_t { kNone, kPrefix, kStructure, kContent };

struct DecodedRequest {
  RequestFault fault = RequestFault::kNone;
  std::string error;  // when fault != kNone
  std::string_view endpoint;
  RequestHeaders headers;
  std::string_view body;
  std::optional<int64_t> send_ts_nanos;  // x-frontend-send-ts-ns, when sent
};

// Only the endpoint name (kPrefix checks): what the worker needs before it counts the request.
[[nodiscard]] std::optional<std::string_view> DecodeRequestEndpoint(std::string_view payload);
// The whole request. Views point into `payload`.
[[nodiscard]] DecodedRequest DecodeRequest(std::string_view payload);

struct DecodedEnd {
  Status status;
  bool closing = false;
};
// An END payload; a truncated one is an INTERNAL status (the caller drops the connection).
[[nodiscard]] StatusOr<DecodedEnd> DecodeEnd(std::string_view payload);

// A StatusCode on the wire and back (unknown numbers read as kInternal).
[[nodiscard]] uint8_t WireCode(StatusCode code);
[[nodiscard]] StatusCode FromWireCode(uint8_t wire);

}  // namespace dynobs::runtime::request_plane_internal
