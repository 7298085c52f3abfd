#include "dynobs/runtime/system_config.h"

#include <boost/json/parse.hpp>

namespace dynobs::runtime {
namespace {

Status ReadPath(const env::Reader& env, std::string_view name, std::string& out) {
  auto v = env.String(name);
  if (!v) return Status::Ok();
  if (v->front() != '/' || v->find_first_of(" ?#\t\r\n") != std::string::npos) {
    return env::InvalidSetting(name, *v, "an absolute path such as /health (no spaces, ? or #)");
  }
  out = *v;
  return Status::Ok();
}

Status ReadEndpointList(const env::Reader& env, std::vector<std::string>& out) {
  constexpr std::string_view kName = "DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS";
  auto v = env.String(kName);
  if (!v) return Status::Ok();
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(*v, ec);
  if (ec || !json.is_array()) {
    return env::InvalidSetting(kName, *v, "a JSON array of endpoint names, e.g. [\"generate\"]");
  }
  for (const auto& item : json.as_array()) {
    if (!item.is_string()) {
      return env::InvalidSetting(kName, *v, "a JSON array of endpoint names, e.g. [\"generate\"]");
    }
    out.emplace_back(item.as_string());
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SystemConfig> LoadSystemConfig(const env::Reader& env) {
  SystemConfig c;
  auto port = env.Int("DYN_SYSTEM_PORT", -1, 65535);
  if (!port.ok()) {
    return env::InvalidSetting("DYN_SYSTEM_PORT", *env.String("DYN_SYSTEM_PORT"),
                               "-1 (off), 0 (a free port) or a port in 1..65535");
  }
  if (*port) c.port = static_cast<int>(**port);
  if (auto host = env.String("DYN_SYSTEM_HOST")) c.host = *host;
  if (Status s = ReadPath(env, "DYN_SYSTEM_HEALTH_PATH", c.health_path); !s.ok()) return s;
  if (Status s = ReadPath(env, "DYN_SYSTEM_LIVE_PATH", c.live_path); !s.ok()) return s;
  if (c.health_path == c.live_path || c.health_path == "/metrics" || c.live_path == "/metrics") {
    return InvalidArgumentError(
        "DYN_SYSTEM_HEALTH_PATH and DYN_SYSTEM_LIVE_PATH must differ from each other and from "
        "/metrics (health=\"" +
        c.health_path + "\", live=\"" + c.live_path + "\")");
  }
  if (auto s = env.String("DYN_SYSTEM_STARTING_HEALTH_STATUS")) {
    auto status = health::ParseHealthStatus(*s);
    if (!status) {
      return env::InvalidSetting("DYN_SYSTEM_STARTING_HEALTH_STATUS", *s, "ready or notready");
    }
    c.starting_status = *status;
  }
  if (Status s = ReadEndpointList(env, c.use_endpoint_health_status); !s.ok()) return s;
  c.metrics_token = env.String("DYN_SYSTEM_METRICS_TOKEN");
  auto limit = env.Int("DYN_METRICS_MAX_SERIES_PER_FAMILY", 1, 10'000'000);
  if (!limit.ok()) return limit.status();
  if (*limit) c.max_series_per_family = static_cast<size_t>(**limit);
  auto enabled = env.Bool("DYN_SYSTEM_ENABLED");
  if (!enabled.ok()) return enabled.status();
  if (enabled->has_value()) {
    c.warnings.emplace_back(
        "DYN_SYSTEM_ENABLED is deprecated and has no effect; DYN_SYSTEM_PORT alone turns the "
        "system status server on (>= 0) or off (-1)");
  }
  return c;
}

}  // namespace dynobs::runtime
