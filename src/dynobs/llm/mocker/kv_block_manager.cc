#include "dynobs/llm/mocker/kv_block_manager.h"

#include <fmt/format.h>

#include "dynobs/llm/mocker/block_hash.h"

namespace dynobs::llm::mocker {
namespace {

void Bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

StatusOr<std::unique_ptr<KvBlockManager>> KvBlockManager::Create(Config config) {
  if (config.block_size == 0 || config.device_blocks == 0) {
    return InvalidArgumentError("the KV cache needs a block size and at least one device block");
  }
  std::unique_ptr<DiskTier> disk;
  if (config.disk_bytes > 0) {
    if (config.disk_dir.empty()) return InvalidArgumentError("the disk tier needs a directory");
    auto d = DiskTier::Create(config.disk_dir, config.disk_bytes, config.disk_block_bytes);
    if (!d.ok()) return d.status();
    disk = std::move(*d);
  }
  std::unique_ptr<KvBlockManager> m(new KvBlockManager(std::move(config)));
  m->disk_ = std::move(disk);
  return m;
}

KvBlockManager::KvBlockManager(Config config)
    : config_(std::move(config)),
      device_(config_.device_blocks),
      host_hits_(config_.hit_rate_window),
      disk_hits_(config_.hit_rate_window) {
  free_.reserve(config_.device_blocks);
  for (uint32_t b = config_.device_blocks; b > 0; --b) free_.push_back(b - 1);
}

std::optional<uint32_t> KvBlockManager::TakeBlock() {
  if (!free_.empty()) {
    uint32_t b = free_.back();
    free_.pop_back();
    return b;
  }
  if (lru_.empty()) return std::nullopt;
  uint32_t b = lru_.front();
  Evict(b);
  return b;
}

void KvBlockManager::Evict(uint32_t b) {
  Block& blk = device_[b];
  lru_.erase(blk.lru_pos);
  blk.cached = false;
  if (auto it = by_hash_.find(blk.hash); it != by_hash_.end() && it->second == b) {
    by_hash_.erase(it);
    events_.push_back({KvEvent::Kind::kRemoved, blk.hash, 0});
  }
  Offload(blk.hash);
  blk.hash = 0;
  blk.parent = 0;
}

void KvBlockManager::Offload(uint64_t hash) {
  if (config_.host_blocks > 0) {
    if (host_.Touch(hash)) return;  // the host still holds a copy
    Bump(stats_.offload_d2h);
    for (uint64_t pushed : host_.Insert(hash, config_.host_blocks)) {
      if (disk_ && !disk_->Contains(pushed)) {
        disk_->Store(pushed);
        Bump(stats_.offload_h2d);
      }
    }
  } else if (disk_ && !disk_->Contains(hash)) {
    disk_->Store(hash);
    Bump(stats_.offload_d2d);
  }
}

void KvBlockManager::Pin(uint32_t b) {
  Block& blk = device_[b];
  if (blk.refs++ == 0) {
    if (blk.cached) {
      lru_.erase(blk.lru_pos);
      blk.cached = false;
    }
    ++used_;
  }
}

void KvBlockManager::Unpin(uint32_t b) {
  Block& blk = device_[b];
  if (--blk.refs > 0) return;
  --used_;
  if (blk.hash != 0 && config_.prefix_caching) {
    lru_.push_back(b);
    blk.lru_pos = std::prev(lru_.end());
    blk.cached = true;
  } else {
    blk.hash = 0;
    free_.push_back(b);
  }
}

void KvBlockManager::Register(uint32_t b, uint64_t hash, uint64_t parent) {
  if (!config_.prefix_caching || by_hash_.contains(hash)) return;  // first copy wins
  by_hash_[hash] = b;
  device_[b].hash = hash;
  device_[b].parent = parent;
  events_.push_back({KvEvent::Kind::kStored, hash, parent});
}

bool KvBlockManager::Onboard(uint64_t hash, uint64_t parent, Sequence& seq, bool from_host) {
  auto b = TakeBlock();
  if (!b) return false;
  if (from_host) {
    host_.Touch(hash);
    Bump(stats_.onboard_h2d);
  } else if (disk_->Load(hash)) {
    Bump(stats_.onboard_d2d);
  } else {
    free_.push_back(*b);  // the file was gone: a miss after all
    return false;
  }
  Bump(stats_.matched_tokens, config_.block_size);
  Pin(*b);
  Register(*b, hash, parent);
  seq.blocks.push_back(*b);
  return true;
}

uint32_t KvBlockManager::MatchPrefix(std::span<const uint64_t> hashes, Sequence& seq) {
  if (!config_.prefix_caching) return 0;
  uint32_t matched = 0;
  for (size_t i = 0; i < hashes.size(); ++i, ++matched) {
    uint64_t h = hashes[i];
    uint64_t parent = i > 0 ? hashes[i - 1] : 0;
    if (auto it = by_hash_.find(h); it != by_hash_.end()) {
      Pin(it->second);
      seq.blocks.push_back(it->second);
      Bump(stats_.device_prefix_hit_tokens, config_.block_size);
      continue;
    }
    bool in_host = host_.Contains(h);
    if (config_.host_blocks > 0) {
      host_hits_.Record(in_host);
      stats_.host_hit_rate.store(host_hits_.rate(), std::memory_order_relaxed);
    }
    if (in_host && Onboard(h, parent, seq, /*from_host=*/true)) continue;
    bool in_disk = !in_host && disk_ && disk_->Contains(h);
    if (disk_ && !in_host) {
      disk_hits_.Record(in_disk);
      stats_.disk_hit_rate.store(disk_hits_.rate(), std::memory_order_relaxed);
    }
    if (in_disk && Onboard(h, parent, seq, /*from_host=*/false)) continue;
    break;
  }
  return matched;
}

std::optional<uint32_t> KvBlockManager::Admit(SeqId id, std::span<const uint64_t> block_hashes,
                                              uint32_t num_tokens) {
  Sequence& seq = sequences_[id];
  uint32_t matched = MatchPrefix(block_hashes, seq);
  if (!Grow(id, num_tokens)) {
    Release(id);
    return std::nullopt;
  }
  seq.committed = matched;
  seq.last_hash = matched > 0 ? block_hashes[matched - 1] : 0;
  return matched * config_.block_size;
}

bool KvBlockManager::Grow(SeqId id, uint32_t num_tokens) {
  Sequence& seq = sequences_[id];
  size_t needed = (static_cast<size_t>(num_tokens) + config_.block_size - 1) / config_.block_size;
  while (seq.blocks.size() < needed) {
    auto b = TakeBlock();
    if (!b) return false;
    Pin(*b);
    seq.blocks.push_back(*b);
  }
  return true;
}

void KvBlockManager::Commit(SeqId id, std::span<const uint32_t> tokens) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return;
  Sequence& seq = it->second;
  uint32_t bs = config_.block_size;
  size_t full = std::min(tokens.size() / bs, seq.blocks.size());
  for (size_t i = seq.committed; i < full; ++i) {
    uint64_t h = ChainBlockHash(seq.last_hash, tokens.subspan(i * bs, bs));
    if (device_[seq.blocks[i]].hash == 0) Register(seq.blocks[i], h, seq.last_hash);
    seq.last_hash = h;
    seq.committed = static_cast<uint32_t>(i + 1);
  }
}

void KvBlockManager::Release(SeqId id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) return;
  // Later blocks first, so that a prefix's head stays cached longest.
  for (auto b = it->second.blocks.rbegin(); b != it->second.blocks.rend(); ++b) Unpin(*b);
  sequences_.erase(it);
}

uint32_t KvBlockManager::sequence_blocks(SeqId id) const {
  auto it = sequences_.find(id);
  return it == sequences_.end() ? 0 : static_cast<uint32_t>(it->second.blocks.size());
}

std::vector<KvEvent> KvBlockManager::TakeEvents() {
  std::vector<KvEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace dynobs::llm::mocker
