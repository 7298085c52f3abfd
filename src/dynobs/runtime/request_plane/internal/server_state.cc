#include "dynobs/runtime/request_plane/internal/server_state.h"

#include <utility>

#include "dynobs/http/internal/io_context.h"

namespace dynobs::runtime::request_plane_internal {
namespace {

constexpr std::array<std::string_view, kRejectionCount> kRejectionNames = {
    "malformed_frame", "oversized", "unknown_endpoint", "too_many_connections", "shutting_down"};

}  // namespace

ServerState::ServerState(http::EventLoop& loop, RequestPlaneServerOptions options)
    : loop(loop), io(http::internal::IoContext(loop)), options(std::move(options)) {
  if (!this->options.registry) return;
  auto vec = this->options.registry->CreateIntCounterVec(
      {.name = "dynamo_request_plane_server_rejected_total",
       .help = "Requests the request-plane server refused before an endpoint could account for "
               "them",
       .label_names = {"reason"}});
  if (!vec.ok()) return;  // already registered by another server: these stay silent
  for (size_t i = 0; i < kRejectionCount; ++i) {
    auto counter = vec->WithLabelValues({kRejectionNames[i]});
    if (counter.ok()) rejections_[i] = *counter;
  }
}

Status ServerState::AddEndpoint(std::shared_ptr<const EndpointEntry> entry) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = endpoints_.try_emplace(entry->name, entry);
  if (!inserted) return AlreadyExistsError("endpoint '" + entry->name + "' is already served");
  return Status::Ok();
}

std::shared_ptr<const EndpointEntry> ServerState::FindEndpoint(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = endpoints_.find(name);
  return it != endpoints_.end() ? it->second : nullptr;
}

bool ServerState::TryStartStream() {
  if (active_.fetch_add(1, std::memory_order_acq_rel) < options.max_concurrent_streams) {
    return true;
  }
  EndStream();
  return false;
}

void ServerState::EndStream() {
  if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
}

bool ServerState::WaitIdle(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return active_.load() == 0; });
}

uint64_t ServerState::AddConnection(const std::shared_ptr<ServerConnection>& connection) {
  std::lock_guard lock(mu_);
  if (connections_.size() >= options.max_connections) return 0;
  uint64_t id = next_connection_id_++;
  connections_.emplace(id, connection);
  return id;
}

void ServerState::RemoveConnection(uint64_t id) {
  std::lock_guard lock(mu_);
  if (connections_.erase(id) > 0) cv_.notify_all();
}

std::vector<std::shared_ptr<ServerConnection>> ServerState::Connections() const {
  std::vector<std::shared_ptr<ServerConnection>> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, weak] : connections_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

size_t ServerState::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

bool ServerState::WaitNoConnections(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return connections_.empty(); });
}

void ServerState::CountRejection(Rejection reason) const {
  rejections_[static_cast<size_t>(reason)].Inc();
}

}  // namespace dynobs::runtime::request_plane_internal
