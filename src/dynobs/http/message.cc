#include "dynobs/http/message.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace dynobs::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::string_view Request::HeaderValue(std::string_view name) const {
  for (const Header& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return {};
}

Response Response::Text(int status, std::string body, std::string_view content_type) {
  return Response{
      .status = status,
      .headers = {{"Content-Type", std::string(content_type)}},
      .body = std::move(body),
  };
}

Response Response::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

}  // namespace dynobs::http
