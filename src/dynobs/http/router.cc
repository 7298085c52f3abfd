#include "dynobs/http/router.h"

#include <cassert>
#include <memory>
#include <set>
#include <utility>

namespace dynobs::http {
namespace {

// The methods `handlers` answers, sorted, for `Allow`: "GET, HEAD, POST".
std::string AllowedMethods(const std::map<std::string, Handler, std::less<>>& handlers) {
  std::set<std::string_view> methods;
  for (const auto& [method, handler] : handlers) methods.insert(method);
  if (methods.contains("GET")) methods.insert("HEAD");
  std::string allow;
  for (std::string_view method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  return allow;
}

}  // namespace

void Router::Add(std::string_view method, std::string path, Handler handler) {
  assert(handler);
  routes_[std::move(path)].insert_or_assign(std::string(method), std::move(handler));
}

void Router::Dispatch(Request&& request, Responder respond) const {
  const auto route = routes_.find(request.path);
  if (route == routes_.end()) {
    respond(Response::Text(404, "Route not found"));
    return;
  }
  const MethodHandlers& handlers = route->second;
  auto handler = handlers.find(request.method);
  if (handler == handlers.end() && request.method == "HEAD") handler = handlers.find("GET");
  if (handler == handlers.end()) {
    Response response = Response::Text(405, "Method not allowed");
    response.headers.push_back({"Allow", AllowedMethods(handlers)});
    respond(std::move(response));
    return;
  }
  handler->second(std::move(request), std::move(respond));
}

Handler Router::AsHandler() const {
  return [router = std::make_shared<const Router>(*this)](Request&& request, Responder respond) {
    router->Dispatch(std::move(request), std::move(respond));
  };
}

}  // namespace dynobs::http
