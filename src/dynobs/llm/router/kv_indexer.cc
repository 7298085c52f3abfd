#include "dynobs/llm/router/kv_indexer.h"

#include <boost/json.hpp>

namespace dynobs::llm {
namespace {

namespace json = boost::json;

constexpr std::string_view kTypeNames[] = {"stored", "removed", "cleared"};
constexpr std::string_view kStatusNames[] = {"ok", "parent_block_not_found", "block_not_found",
                                             "invalid_block"};

StatusOr<uint64_t> HashField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return uint64_t{0};
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return InvalidArgumentError(std::string(key) + " is not an unsigned integer");
}

}  // namespace

StatusOr<std::vector<KvCacheEvent>> ParseKvEvents(std::string_view text, uint64_t* event_id) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InvalidArgumentError("KV events: not a JSON object");
  const json::object& o = v.as_object();
  const json::value* list = o.if_contains("kv_events");
  if (list == nullptr || !list->is_array()) {
    return InvalidArgumentError("KV events: no kv_events array");
  }
  if (event_id != nullptr) {
    auto id = HashField(o, "event_id");
    if (!id.ok()) return id.status();
    *event_id = *id;
  }
  std::vector<KvCacheEvent> out;
  out.reserve(list->as_array().size());
  for (const json::value& e : list->as_array()) {
    if (!e.is_object()) return InvalidArgumentError("KV events: an event is not an object");
    const json::object& eo = e.as_object();
    const json::value* type = eo.if_contains("type");
    if (type == nullptr || !type->is_string()) return InvalidArgumentError("KV event: no type");
    KvCacheEvent ev;
    if (type->as_string() == "stored") {
      ev.type = KvCacheEvent::Type::kStored;
    } else if (type->as_string() == "removed") {
      ev.type = KvCacheEvent::Type::kRemoved;
    } else if (type->as_string() == "cleared") {
      ev.type = KvCacheEvent::Type::kCleared;
    } else {
      return InvalidArgumentError("KV event: unknown type " + std::string(type->as_string()));
    }
    auto block = HashField(eo, "block_hash");
    auto parent = HashField(eo, "parent_hash");
    if (!block.ok()) return block.status();
    if (!parent.ok()) return parent.status();
    ev.block_hash = *block;
    ev.parent_hash = *parent;
    out.push_back(ev);
  }
  return out;
}

StatusOr<std::unique_ptr<KvIndexer>> KvIndexer::Create(const metrics::MetricsScope& component) {
  auto vec = component.CreateIntCounterVec(
      {.name = "kv_cache_events_applied",
       .help = "KV cache events applied to the router's index, by event type and outcome",
       .label_names = {"event_type", "status"}});
  if (!vec.ok()) return vec.status();
  std::unique_ptr<KvIndexer> indexer(new KvIndexer());
  for (size_t t = 0; t < 3; ++t) {
    for (size_t s = 0; s < kOutcomes; ++s) {
      auto counter = vec->WithLabelValues({kTypeNames[t], kStatusNames[s]});
      if (!counter.ok()) return counter.status();
      indexer->applied_[t][s] = *counter;  // pre-bound: every series shows, at 0
    }
  }
  return indexer;
}

void KvIndexer::Apply(uint64_t worker_id, std::span<const KvCacheEvent> events) {
  std::lock_guard lock(mu_);
  for (const KvCacheEvent& e : events) {
    Outcome s = ApplyOne(worker_id, e);
    applied_[static_cast<size_t>(e.type)][s].Inc();
  }
}

KvIndexer::Outcome KvIndexer::ApplyOne(uint64_t worker_id, const KvCacheEvent& e) {
  switch (e.type) {
    case KvCacheEvent::Type::kCleared:
      Forget(worker_id);
      return kOk;
    case KvCacheEvent::Type::kStored: {
      if (e.block_hash == 0) return kInvalidBlock;
      auto& mine = blocks_by_worker_[worker_id];
      if (e.parent_hash != 0 && !mine.contains(e.parent_hash)) return kParentNotFound;
      if (mine.insert(e.block_hash).second) workers_by_block_[e.block_hash].insert(worker_id);
      return kOk;
    }
    case KvCacheEvent::Type::kRemoved: {
      if (e.block_hash == 0) return kInvalidBlock;
      auto w = blocks_by_worker_.find(worker_id);
      if (w == blocks_by_worker_.end() || w->second.erase(e.block_hash) == 0) {
        return kBlockNotFound;
      }
      auto b = workers_by_block_.find(e.block_hash);
      if (b != workers_by_block_.end()) {
        b->second.erase(worker_id);
        if (b->second.empty()) workers_by_block_.erase(b);
      }
      return kOk;
    }
  }
  return kInvalidBlock;
}

void KvIndexer::Forget(uint64_t worker_id) {
  auto w = blocks_by_worker_.find(worker_id);
  if (w == blocks_by_worker_.end()) return;
  for (uint64_t block : w->second) {
    auto b = workers_by_block_.find(block);
    if (b == workers_by_block_.end()) continue;
    b->second.erase(worker_id);
    if (b->second.empty()) workers_by_block_.erase(b);
  }
  blocks_by_worker_.erase(w);
}

void KvIndexer::RemoveWorker(uint64_t worker_id) {
  std::lock_guard lock(mu_);
  Forget(worker_id);
}

std::unordered_map<uint64_t, uint32_t> KvIndexer::Overlaps(
    std::span<const uint64_t> block_hashes) const {
  std::lock_guard lock(mu_);
  std::unordered_map<uint64_t, uint32_t> out;
  if (block_hashes.empty()) return out;
  auto first = workers_by_block_.find(block_hashes[0]);
  if (first == workers_by_block_.end()) return out;
  std::vector<uint64_t> live(first->second.begin(), first->second.end());
  for (uint32_t depth = 0; depth < block_hashes.size() && !live.empty(); ++depth) {
    auto b = workers_by_block_.find(block_hashes[depth]);
    if (b == workers_by_block_.end()) break;
    std::erase_if(live, [&](uint64_t w) { return !b->second.contains(w); });
    for (uint64_t w : live) out[w] = depth + 1;
  }
  return out;
}

size_t KvIndexer::blocks(uint64_t worker_id) const {
  std::lock_guard lock(mu_);
  auto w = blocks_by_worker_.find(worker_id);
  return w == blocks_by_worker_.end() ? 0 : w->second.size();
}

}  // namespace dynobs::llm
