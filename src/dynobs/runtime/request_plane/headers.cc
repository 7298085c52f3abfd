#include "dynobs/runtime/request_plane/headers.h"

#include <algorithm>
#include <string>

namespace dynobs::runtime {

void AddTraceHeaders(const tracing::SpanContext& context, RequestHeaders* headers) {
  tracing::InjectInternalHop(context, [headers](std::string_view name, std::string_view value) {
    std::erase_if(*headers, [name](const auto& h) { return h.first == name; });
    headers->emplace_back(std::string(name), std::string(value));
  });
}

std::string_view FindHeader(const RequestHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

tracing::HeaderLookup LookupIn(const RequestHeaders& headers) {
  return [&headers](std::string_view name, const tracing::HeaderValueSink& each) {
    for (const auto& [n, v] : headers) {
      if (n == name) each(v);
    }
  };
}

std::string_view IncomingRequest::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

}  // namespace dynobs::runtime
