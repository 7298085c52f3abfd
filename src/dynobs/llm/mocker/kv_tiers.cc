#include "dynobs/llm/mocker/kv_tiers.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace dynobs::llm::mocker {

bool LruBlockSet::Touch(uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end()) return false;
  order_.splice(order_.end(), order_, it->second);
  return true;
}

std::vector<uint64_t> LruBlockSet::Insert(uint64_t hash, size_t capacity) {
  std::vector<uint64_t> evicted;
  if (Touch(hash)) return evicted;
  if (capacity == 0) return {hash};
  while (index_.size() >= capacity) {
    evicted.push_back(order_.front());
    index_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(hash);
  index_[hash] = std::prev(order_.end());
  return evicted;
}

bool LruBlockSet::Erase(uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end()) return false;
  order_.erase(it->second);
  index_.erase(it);
  return true;
}

DiskTier::DiskTier(std::string dir, uint64_t capacity_bytes, uint32_t block_bytes)
    : dir_(std::move(dir)),
      block_bytes_(block_bytes),
      capacity_blocks_(static_cast<size_t>(capacity_bytes / block_bytes)),
      payload_(block_bytes, 'k') {}

StatusOr<std::unique_ptr<DiskTier>> DiskTier::Create(std::string dir, uint64_t capacity_bytes,
                                                     uint32_t block_bytes) {
  if (block_bytes == 0 || capacity_bytes < block_bytes) {
    return InvalidArgumentError(
        fmt::format("disk tier needs room for at least one block ({} bytes cap, {} bytes a block)",
                    capacity_bytes, block_bytes));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return UnavailableError(fmt::format("cannot create {}: {}", dir, ec.message()));
  return std::unique_ptr<DiskTier>(new DiskTier(std::move(dir), capacity_bytes, block_bytes));
}

DiskTier::~DiskTier() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string DiskTier::PathOf(uint64_t hash) const {
  return fmt::format("{}/{:016x}.kvblock", dir_, hash);
}

std::vector<uint64_t> DiskTier::Store(uint64_t hash) {
  std::vector<uint64_t> evicted = blocks_.Insert(hash, capacity_blocks_);
  for (uint64_t old : evicted) ::unlink(PathOf(old).c_str());
  int fd = ::open(PathOf(hash).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::memcpy(payload_.data(), &hash, sizeof(hash));
  bool ok = fd >= 0 &&
            ::write(fd, payload_.data(), payload_.size()) == static_cast<ssize_t>(payload_.size());
  if (fd >= 0) ::close(fd);
  if (!ok) {
    ++write_failures_;
    blocks_.Erase(hash);
    ::unlink(PathOf(hash).c_str());
  }
  return evicted;
}

bool DiskTier::Load(uint64_t hash) {
  if (!blocks_.Touch(hash)) return false;
  int fd = ::open(PathOf(hash).c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buf(block_bytes_);
  bool ok = fd >= 0 && ::read(fd, buf.data(), buf.size()) == static_cast<ssize_t>(buf.size());
  uint64_t stored = 0;
  if (ok) std::memcpy(&stored, buf.data(), sizeof(stored));
  if (fd >= 0) ::close(fd);
  if (!ok || stored != hash) {
    ++read_failures_;
    blocks_.Erase(hash);
    return false;
  }
  return true;
}

void SlidingHitRate::Record(bool hit) {
  if (outcomes_.empty()) return;
  if (count_ == outcomes_.size()) {
    hits_ -= outcomes_[next_];
  } else {
    ++count_;
  }
  outcomes_[next_] = hit ? 1 : 0;
  hits_ += outcomes_[next_];
  next_ = (next_ + 1) % outcomes_.size();
}

}  // namespace dynobs::llm::mocker
