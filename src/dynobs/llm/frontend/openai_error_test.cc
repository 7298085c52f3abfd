#include "dynobs/llm/frontend/openai_error.h"

#include <gtest/gtest.h>

#include <vector>

#include <boost/json.hpp>

namespace dynobs::llm::frontend {
namespace {

namespace json = boost::json;

const std::vector<ApiErrorKind> kAllKinds = {
    ApiErrorKind::kValidation,    ApiErrorKind::kNotFound,        ApiErrorKind::kOverload,
    ApiErrorKind::kCancelled,     ApiErrorKind::kResponseTimeout, ApiErrorKind::kInternal,
    ApiErrorKind::kNotImplemented};

TEST(ApiErrorTest, KindsMapToStatusLabelAndLogDetail) {
  struct Row {
    int status;
    std::string_view label, detail;
  };
  const std::vector<Row> rows = {
      {400, "validation", "invalid request parameters"},
      {404, "not_found", "model or resource not found"},
      {529, "overload", "service overloaded or rate limited"},
      {499, "cancelled", "cancelled before completion"},
      {504, "response_timeout", "backend stream inactivity timeout"},
      {500, "internal", "internal server error during processing"},
      {501, "not_implemented", "requested feature not implemented"},
  };
  for (size_t i = 0; i < kAllKinds.size(); ++i) {
    EXPECT_EQ(HttpStatus(kAllKinds[i]), rows[i].status) << i;
    EXPECT_EQ(ErrorTypeLabel(kAllKinds[i]), rows[i].label) << i;
    EXPECT_EQ(ErrorDetail(kAllKinds[i]), rows[i].detail) << i;
  }
}

TEST(ApiErrorTest, OverloadStatusIsConfigurable) {
  EXPECT_EQ(kDefaultOverloadStatus, 529);
  EXPECT_EQ(HttpStatus(ApiErrorKind::kOverload, 503), 503);
  EXPECT_EQ(HttpStatus(ApiErrorKind::kValidation, 503), 400);
  EXPECT_TRUE(IsAllowedOverloadStatus(503));
  EXPECT_TRUE(IsAllowedOverloadStatus(529));
  EXPECT_FALSE(IsAllowedOverloadStatus(429));
  EXPECT_FALSE(IsAllowedOverloadStatus(500));
}

TEST(ApiErrorTest, StatusCodesMapToKinds) {
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kInvalidArgument), ApiErrorKind::kValidation);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kNotFound), ApiErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kResourceExhausted), ApiErrorKind::kOverload);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kUnavailable), ApiErrorKind::kOverload);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kCancelled), ApiErrorKind::kCancelled);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kDeadlineExceeded), ApiErrorKind::kResponseTimeout);
  EXPECT_EQ(ErrorKindFromStatus(StatusCode::kUnimplemented), ApiErrorKind::kNotImplemented);
  for (StatusCode c : {StatusCode::kOk, StatusCode::kAlreadyExists, StatusCode::kFailedPrecondition,
                       StatusCode::kInternal}) {
    EXPECT_EQ(ErrorKindFromStatus(c), ApiErrorKind::kInternal) << StatusCodeName(c);
  }
}

TEST(ApiErrorTest, HttpStatusesMapToKindsAsDynamoDoes) {
  EXPECT_EQ(ErrorKindFromHttpStatus(400), ApiErrorKind::kValidation);
  EXPECT_EQ(ErrorKindFromHttpStatus(405), ApiErrorKind::kValidation);
  EXPECT_EQ(ErrorKindFromHttpStatus(413), ApiErrorKind::kValidation);
  EXPECT_EQ(ErrorKindFromHttpStatus(404), ApiErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindFromHttpStatus(429), ApiErrorKind::kOverload);
  EXPECT_EQ(ErrorKindFromHttpStatus(503), ApiErrorKind::kOverload);
  EXPECT_EQ(ErrorKindFromHttpStatus(529), ApiErrorKind::kOverload);
  EXPECT_EQ(ErrorKindFromHttpStatus(499), ApiErrorKind::kCancelled);
  EXPECT_EQ(ErrorKindFromHttpStatus(501), ApiErrorKind::kNotImplemented);
  EXPECT_EQ(ErrorKindFromHttpStatus(500), ApiErrorKind::kInternal);
  EXPECT_EQ(ErrorKindFromHttpStatus(502), ApiErrorKind::kInternal);
  EXPECT_EQ(ErrorKindFromHttpStatus(504), ApiErrorKind::kInternal);
  // Every kind's own status maps back to it, except a timeout's 504 (Dynamo: internal).
  for (ApiErrorKind k : kAllKinds) {
    if (k == ApiErrorKind::kResponseTimeout) continue;
    EXPECT_EQ(ErrorKindFromHttpStatus(HttpStatus(k)), k) << ErrorTypeLabel(k);
    EXPECT_EQ(ErrorKindFromHttpStatus(HttpStatus(k, 503)), k) << ErrorTypeLabel(k);
  }
}

TEST(ApiErrorTest, ValidationBodyExactBytes) {
  ApiError e = ApiError::FromStatus(InvalidArgumentError("'n' must be 1, got \"2\""), "n");
  EXPECT_EQ(e.kind, ApiErrorKind::kValidation);
  EXPECT_EQ(ErrorBody(e),
            R"({"error":{"message":"'n' must be 1, got \"2\"","type":"invalid_request_error",)"
            R"("param":"n","code":null}})");
  EXPECT_EQ(ErrorBody(ApiError::FromStatus(InvalidArgumentError("bad"))),
            R"({"error":{"message":"bad","type":"invalid_request_error","param":null,)"
            R"("code":null}})");
}

TEST(ApiErrorTest, ModelNotFoundIsOpenAIs404) {
  ApiError e = ApiError::ModelNotFound("gpt-\"x\"");
  EXPECT_EQ(HttpStatus(e.kind), 404);
  EXPECT_EQ(ErrorTypeLabel(e.kind), "not_found");
  EXPECT_EQ(ErrorBody(e),
            R"({"error":{"message":"The model `gpt-\"x\"` does not exist.",)"
            R"("type":"invalid_request_error","param":"model","code":"model_not_found"}})");
}

TEST(ApiErrorTest, EveryKindsBodyParses) {
  const std::vector<std::string_view> types = {
      "invalid_request_error", "invalid_request_error", "overloaded_error",     "cancelled_error",
      "timeout_error",         "server_error",          "not_implemented_error"};
  for (size_t i = 0; i < kAllKinds.size(); ++i) {
    json::value v = json::parse(ErrorBody({.kind = kAllKinds[i], .message = "m\n\x01"}));
    const json::object& err = v.as_object().at("error").as_object();
    EXPECT_EQ(v.as_object().size(), 1u);
    EXPECT_EQ(err.size(), 4u);
    EXPECT_EQ(err.at("message"), "m\n\x01");
    EXPECT_EQ(err.at("type").as_string(), types[i]) << i;
    EXPECT_TRUE(err.at("param").is_null());
    if (kAllKinds[i] == ApiErrorKind::kOverload) {
      EXPECT_EQ(err.at("code"), "overloaded");
    } else {
      EXPECT_TRUE(err.at("code").is_null()) << i;
    }
  }
  json::value v = json::parse(ErrorBody({.kind = ApiErrorKind::kOverload, .code = "busy"}));
  EXPECT_EQ(v.at("error").at("code"), "busy");
}

}  // namespace
}  // namespace dynobs::llm::frontend
