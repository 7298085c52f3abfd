#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "dynobs/common/status.h"
#include "dynobs/llm/mocker/kv_tiers.h"

namespace dynobs::llm::mocker {

// Counters of block moves between tiers (the kvbm_* families of spec §3.9) and hit rates. Written
// by the engine thread, read by scrapes (relaxed atomics).
struct KvbmStats {
  std::atomic<uint64_t> offload_d2h{0};     // device -> host
  std::atomic<uint64_t> offload_h2d{0};     // host -> disk (Dynamo's name for it)
  std::atomic<uint64_t> offload_d2d{0};     // device -> disk, no host tier
  std::atomic<uint64_t> onboard_h2d{0};     // host -> device
  std::atomic<uint64_t> onboard_d2d{0};     // disk -> device
  std::atomic<uint64_t> matched_tokens{0};  // tokens found in host or disk
  std::atomic<uint64_t> device_prefix_hit_tokens{0};
  std::atomic<double> host_hit_rate{0};
  std::atomic<double> disk_hit_rate{0};
};

// A KV cache event for the router: a block (by hash) became resident on the device, or left it.
struct KvEvent {
  enum class Kind : uint8_t { kStored, kRemoved };
  Kind kind;
  uint64_t block_hash;
  uint64_t parent_hash;  // stored events: the previous block's hash (0 for the first)
};

// The mock engine's KV cache: device blocks (G1) with prefix caching on block hashes, and
// optional host (G2) and disk (G3) tiers below it.
//
// A device block is in use (referenced by sequences), cached (free, but still holding a
// computed block that a new prompt with the same prefix can reuse; least recently used first)
// or free. Taking a block when none is free evicts the least recently used cached block: it is
// offloaded to the host tier (or to disk when there is no host tier), and a host tier that
// overflows pushes its oldest blocks to disk. A prompt's prefix found on the host or on disk is
// onboarded back to the device.
//
// Thread safety: one thread (the engine's) calls everything; stats() may be read from any.
class KvBlockManager {
 public:
  struct Config {
    uint32_t block_size = 16;
    uint32_t device_blocks = 8192;
    uint32_t host_blocks = 0;          // 0: no host tier
    uint64_t disk_bytes = 0;           // 0: no disk tier
    uint32_t disk_block_bytes = 4096;  // bytes written per block file
    std::string disk_dir;              // required with a disk tier
    bool prefix_caching = true;
    size_t hit_rate_window = 1000;  // lookups per sliding hit-rate window
  };
  using SeqId = uint64_t;

  static StatusOr<std::unique_ptr<KvBlockManager>> Create(Config config);

  // Admits a sequence of `num_tokens` tokens whose full blocks hash to `block_hashes`: reuses the
  // longest cached prefix (device, then host, then disk) and reserves device blocks for all its
  // tokens. Returns the number of prefix tokens found cached, or nullopt (nothing changed) when
  // the device cannot hold the sequence now.
  [[nodiscard]] std::optional<uint32_t> Admit(SeqId seq, std::span<const uint64_t> block_hashes,
                                              uint32_t num_tokens);
  // Makes room for `num_tokens` tokens in total; false when no block can be had.
  [[nodiscard]] bool Grow(SeqId seq, uint32_t num_tokens);
  // Records that the KV of the first tokens.size() tokens is computed: blocks that became full
  // get their hash and can be reused (a stored event each).
  void Commit(SeqId seq, std::span<const uint32_t> tokens);
  // Returns the sequence's blocks: computed full blocks stay cached, the rest become free.
  void Release(SeqId seq);

  [[nodiscard]] uint32_t total_blocks() const { return config_.device_blocks; }
  [[nodiscard]] uint32_t used_blocks() const { return used_; }
  [[nodiscard]] uint32_t cached_blocks() const { return static_cast<uint32_t>(lru_.size()); }
  [[nodiscard]] uint32_t sequence_blocks(SeqId seq) const;
  [[nodiscard]] uint32_t block_size() const { return config_.block_size; }
  [[nodiscard]] size_t host_resident() const { return host_.size(); }
  [[nodiscard]] size_t disk_resident() const { return disk_ ? disk_->blocks() : 0; }
  [[nodiscard]] const DiskTier* disk() const { return disk_.get(); }
  [[nodiscard]] const KvbmStats& stats() const { return stats_; }
  // Events since the last call.
  [[nodiscard]] std::vector<KvEvent> TakeEvents();

 private:
  struct Block {
    uint64_t hash = 0;  // 0: not a computed full block
    uint64_t parent = 0;
    uint32_t refs = 0;
    std::list<uint32_t>::iterator lru_pos;
    bool cached = false;
  };
  struct Sequence {
    std::vector<uint32_t> blocks;
    uint32_t committed = 0;  // leading blocks whose hash is known
    uint64_t last_hash = 0;
  };

  explicit KvBlockManager(Config config);
  std::optional<uint32_t> TakeBlock();  // a free block, evicting if needed
  void Evict(uint32_t block);
  void Offload(uint64_t hash);
  void Pin(uint32_t block);
  void Unpin(uint32_t block);
  bool Onboard(uint64_t hash, uint64_t parent, Sequence& seq, bool from_host);
  uint32_t MatchPrefix(std::span<const uint64_t> hashes, Sequence& seq);
  void Register(uint32_t block, uint64_t hash, uint64_t parent);

  Config config_;
  std::vector<Block> device_;
  std::vector<uint32_t> free_;
  std::list<uint32_t> lru_;  // cached blocks, least recently used first
  std::unordered_map<uint64_t, uint32_t> by_hash_;
  std::unordered_map<SeqId, Sequence> sequences_;
  uint32_t used_ = 0;
  LruBlockSet host_;
  std::unique_ptr<DiskTier> disk_;
  SlidingHitRate host_hits_;
  SlidingHitRate disk_hits_;
  std::vector<KvEvent> events_;
  KvbmStats stats_;
};

}  // namespace dynobs::llm::mocker
