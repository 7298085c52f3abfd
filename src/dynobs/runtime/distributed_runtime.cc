#include "dynobs/runtime/distributed_runtime.h"

#include "dynobs/common/ids.h"
#include "dynobs/metrics/process_metrics.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::runtime {

StatusOr<std::shared_ptr<DistributedRuntime>> DistributedRuntime::Create(Options options) {
  uint64_t id = options.instance_id != 0 ? options.instance_id : NewInstanceId();
  auto scope = metrics::MetricsScope::ForRuntime(id);
  std::shared_ptr<DistributedRuntime> drt(new DistributedRuntime(scope, std::move(options)));

  auto uptime = scope->CreateGauge(
      {.name = "uptime_seconds", .help = "Total uptime of the DistributedRuntime in seconds"});
  if (!uptime.ok()) return uptime.status();
  std::weak_ptr<DistributedRuntime> weak = drt;
  scope->registry()->AddUpdateCallback([weak, gauge = *uptime]() -> Status {
    if (auto self = weak.lock()) {
      gauge.Set(std::chrono::duration<double>(self->health_.Uptime()).count());
    }
    return Status::Ok();
  });
  if (Status s = metrics::RegisterProcessMetrics(*scope->registry()); !s.ok()) return s;
  scope->registry()->AddChild(metrics::SelfMetricsRegistry());
  return drt;
}

DistributedRuntime::DistributedRuntime(std::shared_ptr<metrics::MetricsScope> scope,
                                       Options options)
    : scope_(std::move(scope)),
      health_(options.starting_status, std::move(options.use_endpoint_health_status)) {}

std::shared_ptr<Namespace> DistributedRuntime::GetNamespace(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& ns = namespaces_[name];
  if (!ns) ns = std::make_shared<Namespace>(name, scope_->NewNamespace(name));
  return ns;
}

std::shared_ptr<Namespace> Namespace::GetNamespace(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& ns = namespaces_[name];
  if (!ns) ns = std::make_shared<Namespace>(name, scope_->NewNamespace(name));
  return ns;
}

std::shared_ptr<Component> Namespace::GetComponent(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& c = components_[name];
  if (!c) c = std::make_shared<Component>(name, scope_->NewComponent(name));
  return c;
}

std::shared_ptr<Endpoint> Component::NewEndpoint(const std::string& name) const {
  return std::make_shared<Endpoint>(name, scope_->NewEndpoint(name));
}

}  // namespace dynobs::runtime
