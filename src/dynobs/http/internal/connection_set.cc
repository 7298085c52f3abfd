#include "dynobs/http/internal/connection_set.h"

#include <vector>

namespace dynobs::http::internal {

bool ConnectionSet::Add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mu_);
  if (draining_) return false;
  live_.emplace(connection.get(), connection);
  return true;
}

void ConnectionSet::Remove(const Connection* connection) {
  std::lock_guard lock(mu_);
  live_.erase(connection);
  if (live_.empty()) empty_.notify_all();
}

size_t ConnectionSet::size() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

void ConnectionSet::DrainAll() {
  {
    std::lock_guard lock(mu_);
    draining_ = true;
  }
  for (const auto& connection : Snapshot()) connection->Drain();
}

void ConnectionSet::AbortAll() {
  for (const auto& connection : Snapshot()) connection->Abort();
}

bool ConnectionSet::WaitEmpty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return empty_.wait_until(lock, deadline, [this] { return live_.empty(); });
}

void ConnectionSet::WaitEmpty() {
  std::unique_lock lock(mu_);
  empty_.wait(lock, [this] { return live_.empty(); });
}

std::vector<std::shared_ptr<Connection>> ConnectionSet::Snapshot() const {
  std::vector<std::shared_ptr<Connection>> connections;
  std::lock_guard lock(mu_);
  connections.reserve(live_.size());
  for (const auto& [key, connection] : live_) {
    if (auto alive = connection.lock()) connections.push_back(std::move(alive));
  }
  return connections;
}

}  // namespace dynobs::http::internal
