#include "dynobs/tracing/otlp/response.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "dynobs/tracing/otlp/internal/proto_reader.h"

namespace dynobs::otlp {
namespace {

using internal::ProtoReader;

constexpr size_t kMaxErrorMessage = 1024;  // what a log line keeps of a collector's message
constexpr std::string_view kRetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

std::string Truncated(std::string_view s) { return std::string(s.substr(0, kMaxErrorMessage)); }

// google.protobuf.Duration {seconds = 1; nanos = 2} in milliseconds.
std::optional<int64_t> DurationMs(std::string_view bytes) {
  int64_t seconds = 0;
  int64_t nanos = 0;
  ProtoReader r(bytes);
  while (r.Next()) {
    if (r.field() == 1 && r.is_varint()) seconds = static_cast<int64_t>(r.varint());
    if (r.field() == 2 && r.is_varint()) nanos = static_cast<int32_t>(r.varint());
  }
  if (!r.ok() || seconds < 0 || seconds > 86400 * 365 || nanos < 0) return std::nullopt;
  return seconds * 1000 + nanos / 1'000'000;
}

std::optional<int64_t> JsonInt64(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.as_uint64());
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.as_string();
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<PartialSuccess> ParseProtoResponse(std::string_view body) {
  PartialSuccess out;
  ProtoReader response(body);
  while (response.Next()) {
    if (response.field() != 1 || !response.is_bytes()) continue;  // partial_success
    ProtoReader partial(response.bytes());
    while (partial.Next()) {
      if (partial.field() == 1 && partial.is_varint()) {
        out.rejected = static_cast<int64_t>(partial.varint());
      } else if (partial.field() == 2 && partial.is_bytes()) {
        out.error_message = Truncated(partial.bytes());
      }
    }
    if (!partial.ok()) return std::nullopt;
  }
  if (!response.ok()) return std::nullopt;
  return out;
}

std::optional<PartialSuccess> ParseJsonResponse(std::string_view body, Signal signal) {
  PartialSuccess out;
  if (body.empty()) return out;
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto* partial = doc.as_object().if_contains("partialSuccess");
  if (partial == nullptr || partial->is_null()) return out;
  if (!partial->is_object()) return std::nullopt;
  const auto& obj = partial->as_object();
  const char* key = signal == Signal::kTraces ? "rejectedSpans" : "rejectedLogRecords";
  if (const auto* n = obj.if_contains(key)) {
    auto v = JsonInt64(*n);
    if (!v) return std::nullopt;
    out.rejected = *v;
  }
  if (const auto* m = obj.if_contains("errorMessage"); m != nullptr && m->is_string()) {
    out.error_message = Truncated(m->as_string());
  }
  return out;
}

std::optional<int64_t> RetryInfoDelayMs(std::string_view status_bytes) {
  ProtoReader status(status_bytes);
  while (status.Next()) {
    if (status.field() != 3 || !status.is_bytes()) continue;  // details: repeated Any
    std::string_view type_url;
    std::string_view value;
    ProtoReader any(status.bytes());
    while (any.Next()) {
      if (any.field() == 1 && any.is_bytes()) type_url = any.bytes();
      if (any.field() == 2 && any.is_bytes()) value = any.bytes();
    }
    if (!any.ok() || type_url != kRetryInfoType) continue;
    ProtoReader retry_info(value);
    while (retry_info.Next()) {
      if (retry_info.field() == 1 && retry_info.is_bytes()) return DurationMs(retry_info.bytes());
    }
  }
  return std::nullopt;
}

}  // namespace dynobs::otlp
