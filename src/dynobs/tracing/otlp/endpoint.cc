// The endpoint rules of config.h (ResolveEndpoint).
#include <boost/url/parse.hpp>
#include <string>

#include "dynobs/tracing/otlp/config.h"

namespace dynobs::otlp {
namespace {

constexpr std::string_view kHttpAccepted =
    "an http:// or https:// URL with a host (no user info, no fragment)";
constexpr std::string_view kGrpcAccepted =
    "http://HOST:PORT, https://HOST:PORT or HOST:PORT (no path: gRPC names the service itself)";

std::string SignalPath(Signal signal) {
  return signal == Signal::kTraces ? "v1/traces" : "v1/logs";
}

std::string VariableName(Signal signal) {
  return signal == Signal::kTraces ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
                                   : "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
}

// OTEL_EXPORTER_OTLP_ENDPOINT for HTTP: the signal path is appended to whatever path it has.
std::string AppendSignalPath(std::string_view base, Signal signal) {
  std::string url(base);
  if (url.empty() || url.back() != '/') url.push_back('/');
  return url + SignalPath(signal);
}

// Dynamo's logs-follow-traces rule for HTTP: the traces URL with /v1/traces made /v1/logs, or
// the logs path on the traces URL's origin when the traces path is another one.
std::string LogsUrlFromTracesUrl(std::string_view traces) {
  constexpr std::string_view kTracesPath = "/v1/traces";
  if (traces.ends_with(kTracesPath)) {
    return std::string(traces.substr(0, traces.size() - kTracesPath.size())) + "/v1/logs";
  }
  auto url = boost::urls::parse_uri(traces);
  if (!url) return std::string(traces);  // refused by validation below
  return std::string(url->scheme()) + "://" + std::string(url->encoded_authority()) + "/v1/logs";
}

bool ValidPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (char c : port) value = value * 10 + (c - '0');  // the parser let digits only through
  return value >= 1 && value <= 65535;
}

Status CheckUrl(std::string_view var, std::string_view value, std::string_view url,
                std::string_view accepted, boost::urls::url_view* out) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return env::InvalidSetting(var, value, accepted);
  auto scheme = parsed->scheme_id();
  if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) ||
      parsed->encoded_host().empty() || parsed->has_userinfo() || parsed->has_fragment() ||
      (parsed->has_port() && !ValidPort(parsed->port()))) {
    return env::InvalidSetting(var, value, accepted);
  }
  *out = *parsed;
  return Status::Ok();
}

Status ResolveGrpc(std::string_view var, std::string_view value, bool insecure, SignalConfig* out) {
  bool bare = value.find("://") == std::string_view::npos;
  std::string url = bare ? "http://" + std::string(value) : std::string(value);
  boost::urls::url_view u;
  if (Status s = CheckUrl(var, value, url, kGrpcAccepted, &u); !s.ok()) return s;
  if ((!u.encoded_path().empty() && u.encoded_path() != "/") || u.has_query() ||
      (bare && !u.has_port())) {
    return env::InvalidSetting(var, value, kGrpcAccepted);
  }
  out->tls = bare ? !insecure : u.scheme_id() == boost::urls::scheme::https;
  std::string port = u.has_port() ? std::string(u.port()) : (out->tls ? "443" : "80");
  out->grpc_target = std::string(u.encoded_host()) + ":" + port;
  out->endpoint = std::string(out->tls ? "https://" : "http://") + out->grpc_target;
  return Status::Ok();
}

}  // namespace

Status ResolveEndpoint(const EndpointInputs& in, SignalConfig* out) {
  bool grpc = in.protocol == Protocol::kGrpc;
  std::string var;
  std::string value;
  std::string url;
  if (!in.specific.empty()) {
    var = VariableName(in.signal);
    value = url = std::string(in.specific);
  } else if (in.signal == Signal::kLogs && in.generic.empty() && !in.traces_endpoint.empty() &&
             in.protocol == in.traces_protocol) {
    var = VariableName(Signal::kTraces);
    value = std::string(in.traces_endpoint);
    url = grpc ? value : LogsUrlFromTracesUrl(value);
  } else if (!in.generic.empty()) {
    var = "OTEL_EXPORTER_OTLP_ENDPOINT";
    value = std::string(in.generic);
    url = grpc ? value : AppendSignalPath(value, in.signal);
  } else {
    var = "(default)";
    value = url = grpc ? "http://localhost:4317" : "http://localhost:4318/" + SignalPath(in.signal);
  }
  if (grpc) return ResolveGrpc(var, value, in.insecure, out);
  boost::urls::url_view u;
  if (Status s = CheckUrl(var, value, value, kHttpAccepted, &u); !s.ok()) return s;
  if (Status s = CheckUrl(var, value, url, kHttpAccepted, &u); !s.ok()) return s;
  out->endpoint = url;
  out->grpc_target.clear();
  out->tls = u.scheme_id() == boost::urls::scheme::https;
  return Status::Ok();
}

}  // namespace dynobs::otlp
