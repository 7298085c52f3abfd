#include "dynobs/http/router.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace dynobs::http {
namespace {

Request MakeRequest(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = request.target.substr(0, request.target.find('?'));
  return request;
}

// Dispatches synchronously and returns what the handler answered.
std::optional<Response> Call(const Handler& handler, std::string method, std::string target) {
  std::optional<Response> answer;
  handler(MakeRequest(std::move(method), std::move(target)),
          [&answer](Response response) { answer = std::move(response); });
  return answer;
}

Handler Answer(std::string body) {
  return [body = std::move(body)](Request&&, const Responder& respond) {
    respond(Response::Text(200, body));
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Add("GET", "/metrics", Answer("get metrics"));
    router_.Add("POST", "/v1/chat/completions", Answer("chat"));
    router_.Add("GET", "/health", Answer("get health"));
    router_.Add("PUT", "/health", Answer("put health"));
  }

  std::optional<Response> Dispatch(std::string method, std::string target) {
    return Call(router_.AsHandler(), std::move(method), std::move(target));
  }

  Router router_;
};

TEST_F(RouterTest, DispatchesOnMethodAndPath) {
  EXPECT_EQ(Dispatch("GET", "/metrics")->body, "get metrics");
  EXPECT_EQ(Dispatch("POST", "/v1/chat/completions")->body, "chat");
  EXPECT_EQ(Dispatch("GET", "/health")->body, "get health");
  EXPECT_EQ(Dispatch("PUT", "/health")->body, "put health");
}

TEST_F(RouterTest, IgnoresQueryString) {
  EXPECT_EQ(Dispatch("GET", "/metrics?name[]=x")->body, "get metrics");
}

TEST_F(RouterTest, UnknownPathIs404) {
  for (const char* target : {"/", "/metric", "/metrics/", "/METRICS"}) {
    const std::optional<Response> response = Dispatch("GET", target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 404) << target;
    EXPECT_EQ(response->body, "Route not found");
  }
}

TEST_F(RouterTest, OtherMethodIs405WithAllow) {
  std::optional<Response> response = Dispatch("DELETE", "/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->body, "Method not allowed");
  ASSERT_EQ(response->headers.size(), 2u);
  EXPECT_EQ(response->headers[1].name, "Allow");
  EXPECT_EQ(response->headers[1].value, "GET, HEAD, PUT");

  response = Dispatch("GET", "/v1/chat/completions");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers[1].value, "POST");
  // Methods are case-sensitive.
  EXPECT_EQ(Dispatch("get", "/metrics")->status, 405);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  EXPECT_EQ(Dispatch("HEAD", "/metrics")->body, "get metrics");
  router_.Add("HEAD", "/metrics", Answer("head metrics"));
  EXPECT_EQ(Dispatch("HEAD", "/metrics")->body, "head metrics");
}

TEST_F(RouterTest, AddReplacesAndAsHandlerIsASnapshot) {
  const Handler before = router_.AsHandler();
  router_.Add("GET", "/metrics", Answer("new metrics"));
  router_.Add("GET", "/new", Answer("new"));
  EXPECT_EQ(Call(before, "GET", "/metrics")->body, "get metrics");
  EXPECT_EQ(Call(before, "GET", "/new")->status, 404);
  EXPECT_EQ(Dispatch("GET", "/metrics")->body, "new metrics");
  EXPECT_EQ(Dispatch("GET", "/new")->body, "new");
}

}  // namespace
}  // namespace dynobs::http
