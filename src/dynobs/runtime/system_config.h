#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dynobs/common/env.h"
#include "dynobs/common/status.h"
#include "dynobs/health/system_health.h"

namespace dynobs::runtime {

// Settings of a process's system status server and its metrics, from the environment (spec
// §4.1). Every value is checked at start-up; a bad one is an error naming the variable, the value
// and what is accepted (decided difference 1). Empty values count as unset, as in Dynamo.
struct SystemConfig {
  int port = -1;                        // DYN_SYSTEM_PORT: -1 off, 0 random, 1..65535
  std::string host = "0.0.0.0";         // DYN_SYSTEM_HOST
  std::string health_path = "/health";  // DYN_SYSTEM_HEALTH_PATH
  std::string live_path = "/live";      // DYN_SYSTEM_LIVE_PATH
  health::HealthStatus starting_status = health::HealthStatus::kNotReady;
  std::vector<std::string> use_endpoint_health_status;  // DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS
  std::optional<std::string> metrics_token;             // DYN_SYSTEM_METRICS_TOKEN
  size_t max_series_per_family = 10000;                 // DYN_METRICS_MAX_SERIES_PER_FAMILY
  // Warnings to log once logging is up (deprecated variables that were set).
  std::vector<std::string> warnings;
};

[[nodiscard]] StatusOr<SystemConfig> LoadSystemConfig(const env::Reader& env);

}  // namespace dynobs::runtime
