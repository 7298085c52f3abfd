#pragma once

#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs::llm::frontend {

// How a frontend request failed, and how each failure shows at the edge: the HTTP status, the
// OpenAI-style error body, the `error_type` label of dynamo_frontend_requests_total and the
// `error_detail` of the "request completed" log (spec §3.4, §7.4, §11).
//
// Every function here is pure and may be called from any thread.

// The failure kinds; each is one `error_type` label value (success is "").
enum class ApiErrorKind {
  kValidation,       // 400: a malformed or out-of-range request
  kNotFound,         // 404: an unknown model (or route)
  kOverload,         // 503 or 529: too many requests in flight, every worker busy
  kCancelled,        // 499: the client went away
  kResponseTimeout,  // 504: DYN_HTTP_BACKEND_STREAM_TIMEOUT_SECS passed with no backend output
  kInternal,         // 500: anything else
  kNotImplemented,   // 501: a feature we do not serve
};

// The status an overload answers with unless configured otherwise: 529, as Dynamo after the
// baseline answers "all workers busy" (spec §11, DYN_HTTP_OVERLOAD_STATUS_CODE); 503 optional.
inline constexpr int kDefaultOverloadStatus = 529;

// Whether `status` may be configured as the overload status (503 or 529).
[[nodiscard]] constexpr bool IsAllowedOverloadStatus(int status) {
  return status == 503 || status == 529;
}

// The `error_type` label value (spec §3.4): "validation", "not_found", "overload", "cancelled",
// "response_timeout", "internal" or "not_implemented".
[[nodiscard]] std::string_view ErrorTypeLabel(ApiErrorKind kind);

// The `error_detail` field of the ERROR "request completed" log line (spec §7.4), e.g.
// "invalid request parameters" for kValidation.
[[nodiscard]] std::string_view ErrorDetail(ApiErrorKind kind);

// The HTTP status: 400, 404, `overload_status`, 499, 504, 500, 501 in the order of the enum.
// `overload_status` should satisfy IsAllowedOverloadStatus; it is not checked here.
[[nodiscard]] int HttpStatus(ApiErrorKind kind, int overload_status = kDefaultOverloadStatus);

// The kind of a Status from the layers below (parsing, routing, the request plane):
// INVALID_ARGUMENT -> validation, NOT_FOUND -> not_found, RESOURCE_EXHAUSTED and UNAVAILABLE ->
// overload, CANCELLED -> cancelled, DEADLINE_EXCEEDED -> response_timeout, UNIMPLEMENTED ->
// not_implemented, anything else -> internal. OK is a caller bug and maps to internal.
[[nodiscard]] ApiErrorKind ErrorKindFromStatus(StatusCode code);

// The kind of a response the HTTP layer wrote itself (413 body too large, 405, a malformed
// request line), by Dynamo's HTTP status -> error_type rule (spec §3.4): 404 not_found; 429,
// 503 and 529 overload; 499 cancelled; 501 not_implemented; any other 4xx validation; anything
// else internal. Differences from Dynamo: 529 counts as overload (Dynamo's table predates its
// 529 default), and a 400 is always validation (Dynamo checks for a "Validation:" message
// prefix that our validation errors do not carry; they have their kind already).
[[nodiscard]] ApiErrorKind ErrorKindFromHttpStatus(int http_status);

// One error response.
struct ApiError {
  ApiErrorKind kind = ApiErrorKind::kInternal;
  std::string message;  // for the client
  std::string param;    // the request field at fault; "" writes null
  std::string code;     // OpenAI's machine-readable code; "" writes the kind's default

  // The error for a Status from the layers below (kind by ErrorKindFromStatus).
  [[nodiscard]] static ApiError FromStatus(const Status& status, std::string param = "");
  // 404, code "model_not_found", with OpenAI's message naming the model.
  [[nodiscard]] static ApiError ModelNotFound(std::string_view model);
};

// The OpenAI-style body {"error":{"message":...,"type":...,"param":...,"code":...}}, keys in
// that order. `type` by kind: invalid_request_error (validation, and not_found as OpenAI
// reports an unknown model), overloaded_error, cancelled_error, timeout_error, server_error,
// not_implemented_error. `code`: error.code if set, else "overloaded" for overload and null for
// the rest; `param`: error.param or null.
[[nodiscard]] std::string ErrorBody(const ApiError& error);

}  // namespace dynobs::llm::frontend
