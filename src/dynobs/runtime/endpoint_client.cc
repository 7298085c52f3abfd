#include "dynobs/runtime/endpoint_client.h"

#include <algorithm>

#include <fmt/format.h>

namespace dynobs::runtime {

StatusOr<std::unique_ptr<EndpointClient>> EndpointClient::Create(Discovery& discovery,
                                                                 RequestPlaneClient& client,
                                                                 EndpointPath path,
                                                                 std::string served_endpoint) {
  if (served_endpoint.empty()) served_endpoint = path.endpoint;
  std::unique_ptr<EndpointClient> c(new EndpointClient(client, path, std::move(served_endpoint)));
  EndpointClient* raw = c.get();
  auto watch = discovery.Watch(
      path, [raw](const std::vector<Instance>& instances) { raw->Update(instances); });
  if (!watch.ok()) return watch.status();
  c->watch_ = std::move(*watch);
  return c;
}

EndpointClient::EndpointClient(RequestPlaneClient& client, EndpointPath path,
                               std::string served_endpoint)
    : client_(client), path_(std::move(path)), served_endpoint_(std::move(served_endpoint)) {}

EndpointClient::~EndpointClient() { watch_.reset(); }

void EndpointClient::Update(const std::vector<Instance>& instances) {
  std::vector<std::function<void(const std::vector<Instance>&)>> listeners;
  {
    std::lock_guard lock(mu_);
    instances_ = instances;
    listeners = listeners_;
  }
  changed_.notify_all();
  for (const auto& l : listeners) l(instances);
}

std::vector<Instance> EndpointClient::instances() const {
  std::lock_guard lock(mu_);
  return instances_;
}

bool EndpointClient::WaitForInstances(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return instances_.size() >= n; });
}

bool EndpointClient::WaitForInstance(uint64_t id, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::any_of(instances_.begin(), instances_.end(),
                       [&](const Instance& i) { return i.instance_id == id; });
  });
}

void EndpointClient::OnInstancesChanged(
    std::function<void(const std::vector<Instance>&)> callback) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(callback));
}

StatusOr<std::unique_ptr<StreamHandle>> EndpointClient::Send(const Instance& instance,
                                                             RequestHeaders headers,
                                                             std::string body,
                                                             StreamCallbacks callbacks) {
  return client_.Generate(instance.address, served_endpoint_, std::move(headers), std::move(body),
                          std::move(callbacks));
}

StatusOr<std::unique_ptr<StreamHandle>> EndpointClient::RoundRobin(RequestHeaders headers,
                                                                   std::string body,
                                                                   StreamCallbacks callbacks,
                                                                   uint64_t* chosen) {
  Instance target;
  {
    std::lock_guard lock(mu_);
    if (instances_.empty()) {
      return UnavailableError(fmt::format("no instances of {}", path_.ToString()));
    }
    target = instances_[next_++ % instances_.size()];
  }
  if (chosen != nullptr) *chosen = target.instance_id;
  return Send(target, std::move(headers), std::move(body), std::move(callbacks));
}

StatusOr<std::unique_ptr<StreamHandle>> EndpointClient::Random(RequestHeaders headers,
                                                               std::string body,
                                                               StreamCallbacks callbacks,
                                                               uint64_t* chosen) {
  Instance target;
  {
    std::lock_guard lock(mu_);
    if (instances_.empty()) {
      return UnavailableError(fmt::format("no instances of {}", path_.ToString()));
    }
    target = instances_[random_() % instances_.size()];
  }
  if (chosen != nullptr) *chosen = target.instance_id;
  return Send(target, std::move(headers), std::move(body), std::move(callbacks));
}

StatusOr<std::unique_ptr<StreamHandle>> EndpointClient::Direct(uint64_t instance_id,
                                                               RequestHeaders headers,
                                                               std::string body,
                                                               StreamCallbacks callbacks) {
  Instance target;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(instances_.begin(), instances_.end(),
                           [&](const Instance& i) { return i.instance_id == instance_id; });
    if (it == instances_.end()) {
      return NotFoundError(
          fmt::format("instance {:x} of {} is not known", instance_id, path_.ToString()));
    }
    target = *it;
  }
  return Send(target, std::move(headers), std::move(body), std::move(callbacks));
}

}  // namespace dynobs::runtime
