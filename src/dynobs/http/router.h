#pragma once

#include <map>
#include <string>
#include <string_view>

#include "dynobs/http/message.h"

namespace dynobs::http {

// Maps (method, exact path) to handlers; the query string plays no part.
//  - unknown path: 404, text body "Route not found";
//  - known path, other method: 405, `Allow: <methods>` and text body "Method not allowed";
//  - HEAD on a path with GET but no HEAD handler: the GET handler (the server drops the body).
//
// Thread safety: Add() before serving; Dispatch() and AsHandler() are then safe from any thread.
class Router {
 public:
  // Registers `handler` for `method` on `path`; a second Add() for the same pair replaces it.
  void Add(std::string_view method, std::string path, Handler handler);

  void Dispatch(Request&& request, Responder respond) const;

  // A handler that dispatches on a snapshot of the routes as they are now; copies share it.
  [[nodiscard]] Handler AsHandler() const;

 private:
  using MethodHandlers = std::map<std::string, Handler, std::less<>>;  // ordered for `Allow`

  std::map<std::string, MethodHandlers, std::less<>> routes_;
};

}  // namespace dynobs::http
