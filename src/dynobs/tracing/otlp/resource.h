#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynobs::otlp {

// The OTLP Resource dynobs sends: `service.name` first, then the attributes of
// OTEL_RESOURCE_ATTRIBUTES in the order given (all strings, as the variable can only carry
// strings). Dynamo's resource holds `service.name` alone (spec §8.1); nothing else is added.
struct Resource {
  std::vector<std::pair<std::string, std::string>> attributes;

  // service.name's value ("" only for a Resource built by hand without one).
  [[nodiscard]] std::string_view service_name() const {
    for (const auto& [k, v] : attributes) {
      if (k == "service.name") return v;
    }
    return {};
  }
};

}  // namespace dynobs::otlp
