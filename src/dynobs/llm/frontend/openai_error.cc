#include "dynobs/llm/frontend/openai_error.h"

#include <fmt/format.h>

#include "dynobs/common/json_escape.h"

namespace dynobs::llm::frontend {
namespace {

std::string_view BodyType(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::kValidation:
    case ApiErrorKind::kNotFound:
      return "invalid_request_error";
    case ApiErrorKind::kOverload:
      return "overloaded_error";
    case ApiErrorKind::kCancelled:
      return "cancelled_error";
    case ApiErrorKind::kResponseTimeout:
      return "timeout_error";
    case ApiErrorKind::kInternal:
      return "server_error";
    case ApiErrorKind::kNotImplemented:
      return "not_implemented_error";
  }
  return "server_error";
}

void AppendStringOrNull(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, s);
  }
}

}  // namespace

std::string_view ErrorTypeLabel(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::kValidation:
      return "validation";
    case ApiErrorKind::kNotFound:
      return "not_found";
    case ApiErrorKind::kOverload:
      return "overload";
    case ApiErrorKind::kCancelled:
      return "cancelled";
    case ApiErrorKind::kResponseTimeout:
      return "response_timeout";
    case ApiErrorKind::kInternal:
      return "internal";
    case ApiErrorKind::kNotImplemented:
      return "not_implemented";
  }
  return "internal";
}

std::string_view ErrorDetail(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::kValidation:
      return "invalid request parameters";
    case ApiErrorKind::kNotFound:
      return "model or resource not found";
    case ApiErrorKind::kOverload:
      return "service overloaded or rate limited";
    case ApiErrorKind::kCancelled:
      return "cancelled before completion";
    case ApiErrorKind::kResponseTimeout:
      return "backend stream inactivity timeout";
    case ApiErrorKind::kInternal:
      return "internal server error during processing";
    case ApiErrorKind::kNotImplemented:
      return "requested feature not implemented";
  }
  return "unknown error";
}

int HttpStatus(ApiErrorKind kind, int overload_status) {
  switch (kind) {
    case ApiErrorKind::kValidation:
      return 400;
    case ApiErrorKind::kNotFound:
      return 404;
    case ApiErrorKind::kOverload:
      return overload_status;
    case ApiErrorKind::kCancelled:
      return 499;
    case ApiErrorKind::kResponseTimeout:
      return 504;
    case ApiErrorKind::kInternal:
      return 500;
    case ApiErrorKind::kNotImplemented:
      return 501;
  }
  return 500;
}

ApiErrorKind ErrorKindFromStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return ApiErrorKind::kValidation;
    case StatusCode::kNotFound:
      return ApiErrorKind::kNotFound;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return ApiErrorKind::kOverload;
    case StatusCode::kCancelled:
      return ApiErrorKind::kCancelled;
    case StatusCode::kDeadlineExceeded:
      return ApiErrorKind::kResponseTimeout;
    case StatusCode::kUnimplemented:
      return ApiErrorKind::kNotImplemented;
    default:
      return ApiErrorKind::kInternal;
  }
}

ApiErrorKind ErrorKindFromHttpStatus(int http_status) {
  switch (http_status) {
    case 404:
      return ApiErrorKind::kNotFound;
    case 429:
    case 503:
    case 529:
      return ApiErrorKind::kOverload;
    case 499:
      return ApiErrorKind::kCancelled;
    case 501:
      return ApiErrorKind::kNotImplemented;
    default:
      return http_status >= 400 && http_status < 500 ? ApiErrorKind::kValidation
                                                     : ApiErrorKind::kInternal;
  }
}

ApiError ApiError::FromStatus(const Status& status, std::string param) {
  return ApiError{.kind = ErrorKindFromStatus(status.code()),
                  .message = status.message(),
                  .param = std::move(param)};
}

ApiError ApiError::ModelNotFound(std::string_view model) {
  return ApiError{.kind = ApiErrorKind::kNotFound,
                  .message = fmt::format("The model `{}` does not exist.", model),
                  .param = "model",
                  .code = "model_not_found"};
}

std::string ErrorBody(const ApiError& error) {
  std::string out;
  out.reserve(96 + error.message.size() + error.param.size() + error.code.size());
  out += R"({"error":{"message":)";
  AppendJsonString(out, error.message);
  out += R"(,"type":)";
  AppendJsonString(out, BodyType(error.kind));
  out += R"(,"param":)";
  AppendStringOrNull(out, error.param);
  out += R"(,"code":)";
  std::string_view code = error.code;
  if (code.empty() && error.kind == ApiErrorKind::kOverload) code = "overloaded";
  AppendStringOrNull(out, code);
  out += "}}";
  return out;
}

}  // namespace dynobs::llm::frontend
