#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dynobs/common/status.h"

namespace dynobs::llm::mocker {

// A least-recently-used set of block hashes with a capacity: the bookkeeping of the host (G2)
// and disk (G3) tiers of the KV block manager.
class LruBlockSet {
 public:
  [[nodiscard]] bool Contains(uint64_t hash) const { return index_.contains(hash); }
  // Marks `hash` as just used; returns false if absent.
  bool Touch(uint64_t hash);
  // Inserts (or touches) `hash`; returns the hashes pushed out to stay within `capacity`.
  std::vector<uint64_t> Insert(uint64_t hash, size_t capacity);
  bool Erase(uint64_t hash);
  [[nodiscard]] size_t size() const { return index_.size(); }

 private:
  std::list<uint64_t> order_;  // front: least recently used
  std::unordered_map<uint64_t, std::list<uint64_t>::iterator> index_;
};

// The disk tier (G3): one real file per block under `dir`, `block_bytes` each, at most
// `capacity_bytes` in all (the oldest files are deleted to make room). The directory is created
// and owned: the tier removes its files when destroyed.
//
// Thread safety: none; the engine thread owns it.
class DiskTier {
 public:
  static StatusOr<std::unique_ptr<DiskTier>> Create(std::string dir, uint64_t capacity_bytes,
                                                    uint32_t block_bytes);
  ~DiskTier();
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  [[nodiscard]] bool Contains(uint64_t hash) const { return blocks_.Contains(hash); }
  // Writes the block's file; returns the hashes evicted to stay within the cap. An I/O failure
  // leaves the block out and is counted.
  std::vector<uint64_t> Store(uint64_t hash);
  // Reads the block's file back; false (and the block forgotten) if it is missing or short.
  bool Load(uint64_t hash);

  [[nodiscard]] size_t blocks() const { return blocks_.size(); }
  [[nodiscard]] size_t capacity_blocks() const { return capacity_blocks_; }
  [[nodiscard]] uint64_t write_failures() const { return write_failures_; }
  [[nodiscard]] uint64_t read_failures() const { return read_failures_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  DiskTier(std::string dir, uint64_t capacity_bytes, uint32_t block_bytes);
  [[nodiscard]] std::string PathOf(uint64_t hash) const;

  std::string dir_;
  uint32_t block_bytes_;
  size_t capacity_blocks_;
  LruBlockSet blocks_;
  std::vector<char> payload_;
  uint64_t write_failures_ = 0;
  uint64_t read_failures_ = 0;
};

// Hit rate over the last `window` lookups (a ring of outcomes).
class SlidingHitRate {
 public:
  explicit SlidingHitRate(size_t window) : outcomes_(window, 0) {}
  void Record(bool hit);
  [[nodiscard]] double rate() const {
    return count_ == 0 ? 0.0 : static_cast<double>(hits_) / static_cast<double>(count_);
  }

 private:
  std::vector<uint8_t> outcomes_;
  size_t next_ = 0;
  size_t count_ = 0;
  size_t hits_ = 0;
};

}  // namespace dynobs::llm::mocker
