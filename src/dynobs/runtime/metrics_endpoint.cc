#include "dynobs/runtime/metrics_endpoint.h"

#include "dynobs/common/gzip.h"

namespace dynobs::runtime {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::shared_ptr<const metrics::Registry> root, Options options)
    : root_(std::move(root)),
      options_(std::move(options)),
      render_("metrics-render", options_.max_queued_scrapes) {}

bool MetricsEndpoint::Authorized(const http::Request& request) const {
  if (!options_.token) return true;
  std::string_view auth = request.HeaderValue("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (auth.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return false;
  }
  return ConstantTimeEquals(auth.substr(kScheme.size()), *options_.token);
}

void MetricsEndpoint::Handle(const http::Request& request, const http::Responder& respond) {
  if (!Authorized(request)) {
    http::Response r = http::Response::Text(401, "Unauthorized");
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
    respond(std::move(r));
    return;
  }
  auto format = metrics::NegotiateFormat(request.HeaderValue("Accept"));
  bool gzip = metrics::AcceptsGzip(request.HeaderValue("Accept-Encoding"));
  auto task = [this, format, gzip, respond] {
    metrics::Exposition e = scraper_.Scrape(*root_, format);
    http::Response r;
    r.headers.push_back({"Content-Type", std::string(metrics::ContentType(e.format))});
    r.headers.push_back({"Vary", "Accept, Accept-Encoding"});
    if (gzip) {
      if (auto z = GzipCompress(e.body); z.ok()) {
        r.headers.push_back({"Content-Encoding", "gzip"});
        e.body = std::move(*z);
      }
    }
    r.body = std::move(e.body);
    respond(std::move(r));
  };
  if (!render_.TryPost(std::move(task))) {
    http::Response r = http::Response::Text(503, "Too many scrapes in progress; retry shortly");
    r.headers.push_back({"Retry-After", "1"});
    respond(std::move(r));
  }
}

}  // namespace dynobs::runtime
