#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/health/system_health.h"
#include "dynobs/metrics/scope.h"

namespace dynobs::runtime {

class Namespace;
class Component;
class Endpoint;

// The root of a process's runtime: its instance id, its readiness, and the root of Dynamo's
// hierarchy (DistributedRuntime -> Namespace -> Component -> Endpoint), each object owning a
// metrics registry attached to its parent's (spec §2.1). The runtime's own registry also carries
// dynamo_component_uptime_seconds (set before every scrape), the process_* families and dynobs's
// metrics about metrics.
//
// Thread safety: all methods may be called from any thread. Objects handed out stay valid while
// the caller holds them.
class DistributedRuntime {
 public:
  struct Options {
    uint64_t instance_id = 0;  // 0: a random id
    health::HealthStatus starting_status = health::HealthStatus::kNotReady;
    std::vector<std::string> use_endpoint_health_status;
  };

  static StatusOr<std::shared_ptr<DistributedRuntime>> Create(Options options);

  [[nodiscard]] uint64_t instance_id() const { return scope_->worker_id(); }
  [[nodiscard]] const metrics::MetricsScope& metrics() const { return *scope_; }
  [[nodiscard]] health::SystemHealth& health() { return health_; }

  // Namespaces are cached by name (the same name gives the same object).
  [[nodiscard]] std::shared_ptr<Namespace> GetNamespace(const std::string& name);

 private:
  DistributedRuntime(std::shared_ptr<metrics::MetricsScope> scope, Options options);

  std::shared_ptr<metrics::MetricsScope> scope_;
  health::SystemHealth health_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Namespace>> namespaces_;
};

class Namespace {
 public:
  Namespace(std::string name, std::shared_ptr<metrics::MetricsScope> scope)
      : name_(std::move(name)), scope_(std::move(scope)) {}

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const metrics::MetricsScope& metrics() const { return *scope_; }
  // A nested namespace, cached by name.
  [[nodiscard]] std::shared_ptr<Namespace> GetNamespace(const std::string& name);
  // Components are cached per namespace by name (same name, same registry).
  [[nodiscard]] std::shared_ptr<Component> GetComponent(const std::string& name);

 private:
  std::string name_;
  std::shared_ptr<metrics::MetricsScope> scope_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Namespace>> namespaces_;
  std::map<std::string, std::shared_ptr<Component>> components_;
};

class Component {
 public:
  Component(std::string name, std::shared_ptr<metrics::MetricsScope> scope)
      : name_(std::move(name)), scope_(std::move(scope)) {}

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const metrics::MetricsScope& metrics() const { return *scope_; }
  // A new Endpoint with a new registry on every call, as in Dynamo.
  [[nodiscard]] std::shared_ptr<Endpoint> NewEndpoint(const std::string& name) const;

 private:
  std::string name_;
  std::shared_ptr<metrics::MetricsScope> scope_;
};

class Endpoint {
 public:
  Endpoint(std::string name, std::shared_ptr<metrics::MetricsScope> scope)
      : name_(std::move(name)), scope_(std::move(scope)) {}

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const metrics::MetricsScope& metrics() const { return *scope_; }

 private:
  std::string name_;
  std::shared_ptr<metrics::MetricsScope> scope_;
};

}  // namespace dynobs::runtime
