#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/request_plane/client.h"

namespace dynobs::runtime {

// The caller side of one endpoint (issue 4 §1): it watches discovery for the endpoint's
// instances and opens request-plane streams to one of them, chosen round robin, at random or by
// instance id. Instances that leave discovery stop being chosen at once.
//
// A worker registers its `generate` endpoint; its other endpoints (`load_metrics`) are served at
// the same address. `served_endpoint` names the endpoint to call on the instances found under
// `path` (default: path.endpoint).
//
// Thread safety: all methods may be called from any thread.
// Lifetime: the discovery and the request-plane client must outlive this object.
class EndpointClient {
 public:
  static StatusOr<std::unique_ptr<EndpointClient>> Create(Discovery& discovery,
                                                          RequestPlaneClient& client,
                                                          EndpointPath path,
                                                          std::string served_endpoint = "");
  ~EndpointClient();
  EndpointClient(const EndpointClient&) = delete;
  EndpointClient& operator=(const EndpointClient&) = delete;

  [[nodiscard]] const EndpointPath& path() const { return path_; }
  [[nodiscard]] std::vector<Instance> instances() const;
  // Waits until at least `n` instances are known; false after `timeout`.
  [[nodiscard]] bool WaitForInstances(size_t n, std::chrono::milliseconds timeout) const;
  // Waits until the instance `id` is known; false after `timeout`.
  [[nodiscard]] bool WaitForInstance(uint64_t id, std::chrono::milliseconds timeout) const;
  // Runs `callback` with the new set each time it changes (after this client saw it).
  void OnInstancesChanged(std::function<void(const std::vector<Instance>&)> callback);

  // Opens a stream to the next instance in turn / a random one / the given one. Fails with
  // UNAVAILABLE when there is no instance (NOT_FOUND for an unknown id); `chosen` gets the
  // instance id used.
  StatusOr<std::unique_ptr<StreamHandle>> RoundRobin(RequestHeaders headers, std::string body,
                                                     StreamCallbacks callbacks,
                                                     uint64_t* chosen = nullptr);
  StatusOr<std::unique_ptr<StreamHandle>> Random(RequestHeaders headers, std::string body,
                                                 StreamCallbacks callbacks,
                                                 uint64_t* chosen = nullptr);
  StatusOr<std::unique_ptr<StreamHandle>> Direct(uint64_t instance_id, RequestHeaders headers,
                                                 std::string body, StreamCallbacks callbacks);

 private:
  EndpointClient(RequestPlaneClient& client, EndpointPath path, std::string served_endpoint);
  void Update(const std::vector<Instance>& instances);
  StatusOr<std::unique_ptr<StreamHandle>> Send(const Instance& instance, RequestHeaders headers,
                                               std::string body, StreamCallbacks callbacks);

  RequestPlaneClient& client_;
  const EndpointPath path_;
  const std::string served_endpoint_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<Instance> instances_;
  std::vector<std::function<void(const std::vector<Instance>&)>> listeners_;
  uint64_t next_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
  std::unique_ptr<WatchHandle> watch_;  // last: stopped first
};

}  // namespace dynobs::runtime
