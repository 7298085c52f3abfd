#include "dynobs/metrics/internal/cell_space.h"

#include <algorithm>

namespace dynobs::metrics::internal {

thread_local ThreadCells* tls_cells = nullptr;

namespace {

uint64_t Combine(CellKind kind, uint64_t acc, uint64_t cell) {
  if (kind == CellKind::kDouble) {
    return std::bit_cast<uint64_t>(std::bit_cast<double>(acc) + std::bit_cast<double>(cell));
  }
  return acc + cell;
}

}  // namespace

// Owns the calling thread's cells; its destructor runs at thread exit and hands them back.
class ThreadExitHook {
 public:
  ~ThreadExitHook() {
    if (cells_ == nullptr) return;
    CellSpace::Get().RetireThread(cells_);
    tls_cells = nullptr;
    delete cells_;
  }
  ThreadCells* cells_ = nullptr;
};

ThreadCells::~ThreadCells() {
  for (auto& c : chunks_) delete c.load(std::memory_order_relaxed);
}

Chunk* ThreadCells::AllocateChunk(uint32_t index) {
  auto* c = new Chunk();
  chunks_[index].store(c, std::memory_order_release);
  return c;
}

ThreadCells* RegisterCurrentThread() {
  thread_local ThreadExitHook hook;
  auto* t = new ThreadCells();
  CellSpace::Get().AddThread(t);
  hook.cells_ = t;
  tls_cells = t;
  return t;
}

CellSpace& CellSpace::Get() {
  static CellSpace* space = new CellSpace();  // intentionally leaked; see header
  return *space;
}

StatusOr<uint32_t> CellSpace::Allocate(uint32_t count, CellKind kind, CellKind last_kind) {
  if (count == 0 || count > kChunkCells) {
    return InvalidArgumentError("a metric series needs between 1 and 4096 cells");
  }
  std::lock_guard lock(mu_);
  if (auto it = free_runs_.find(count); it != free_runs_.end() && !it->second.empty()) {
    uint32_t start = it->second.back();
    it->second.pop_back();
    auto& kinds = kinds_[start >> kChunkBits];
    std::fill_n(&kinds[start & kChunkMask], count - 1, kind);
    kinds[(start & kChunkMask) + count - 1] = last_kind;
    return start;
  }
  uint32_t start = next_slot_;
  if ((start & kChunkMask) + count > kChunkCells) {
    start = (start | kChunkMask) + 1;  // keep the run inside one chunk
  }
  if (static_cast<uint64_t>(start) + count > static_cast<uint64_t>(kMaxChunks) * kChunkCells) {
    return ResourceExhaustedError("metric cell space is full (16M cells); too many series");
  }
  auto& kinds = kinds_[start >> kChunkBits];
  if (!kinds) kinds = std::make_unique<CellKind[]>(kChunkCells);
  std::fill_n(&kinds[start & kChunkMask], count - 1, kind);
  kinds[(start & kChunkMask) + count - 1] = last_kind;
  next_slot_ = start + count;
  return start;
}

void CellSpace::AddThread(ThreadCells* t) {
  std::lock_guard lock(mu_);
  threads_.push_back(t);
}

void CellSpace::RetireThread(ThreadCells* t) {
  std::lock_guard lock(mu_);
  threads_.erase(std::remove(threads_.begin(), threads_.end(), t), threads_.end());
  uint32_t chunks = (next_slot_ + kChunkMask) >> kChunkBits;
  for (uint32_t ci = 0; ci < chunks; ++ci) {
    const Chunk* src = t->PeekChunk(ci);
    if (src == nullptr) continue;
    Chunk* dst = retired_.ChunkFor(ci << kChunkBits);
    for (uint32_t i = 0; i < kChunkCells; ++i) {
      uint64_t v = src->cells[i].load(std::memory_order_relaxed);
      if (v == 0) continue;
      uint64_t acc = dst->cells[i].load(std::memory_order_relaxed);
      dst->cells[i].store(Combine(kinds_[ci][i], acc, v), std::memory_order_relaxed);
    }
  }
}

void CellSpace::SumChunk(uint32_t ci, uint64_t* out) {
  uint32_t base = ci << kChunkBits;
  uint32_t n = std::min(kChunkCells, next_slot_ - base);
  std::fill_n(out, kChunkCells, 0);
  const CellKind* kinds = kinds_[ci].get();
  auto add = [&](const ThreadCells& t) {
    const Chunk* c = t.PeekChunk(ci);
    if (c == nullptr) return;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t v = c->cells[i].load(std::memory_order_relaxed);
      if (v != 0) out[i] = Combine(kinds[i], out[i], v);
    }
  };
  add(retired_);
  for (const ThreadCells* t : threads_) add(*t);
}

void CellSpace::Snapshot(CellSnapshot* snapshot) {
  std::lock_guard lock(mu_);
  uint32_t chunks = (next_slot_ + kChunkMask) >> kChunkBits;
  if (snapshot->chunks_.size() < chunks) snapshot->chunks_.resize(chunks);
  for (uint32_t ci = 0; ci < chunks && ci < snapshot->wanted_.size(); ++ci) {
    if (!snapshot->wanted_[ci]) continue;
    auto& buffer = snapshot->chunks_[ci];
    if (!buffer) buffer = std::make_unique<uint64_t[]>(kChunkCells);
    SumChunk(ci, buffer.get());
  }
}

void CellSpace::Release(uint32_t start, uint32_t count) {
  std::lock_guard lock(mu_);
  uint32_t ci = start >> kChunkBits;
  uint32_t first = start & kChunkMask;
  auto zero = [&](ThreadCells& t) {
    if (Chunk* c = t.PeekMutableChunk(ci)) {
      for (uint32_t i = first; i < first + count; ++i) {
        c->cells[i].store(0, std::memory_order_relaxed);
      }
    }
  };
  zero(retired_);
  for (ThreadCells* t : threads_) zero(*t);
  std::fill_n(&kinds_[ci][first], count, CellKind::kUnused);
  free_runs_[count].push_back(start);
}

uint64_t CellSpace::ReadUint(uint32_t slot) {
  std::lock_guard lock(mu_);
  uint32_t ci = slot >> kChunkBits;
  uint64_t sum = 0;
  auto add = [&](const ThreadCells& t) {
    if (const Chunk* c = t.PeekChunk(ci)) sum += c->cells[slot & kChunkMask].load();
  };
  add(retired_);
  for (const ThreadCells* t : threads_) add(*t);
  return sum;
}

double CellSpace::ReadDouble(uint32_t slot) {
  std::lock_guard lock(mu_);
  uint32_t ci = slot >> kChunkBits;
  double sum = 0;
  auto add = [&](const ThreadCells& t) {
    if (const Chunk* c = t.PeekChunk(ci)) {
      sum += std::bit_cast<double>(c->cells[slot & kChunkMask].load());
    }
  };
  add(retired_);
  for (const ThreadCells* t : threads_) add(*t);
  return sum;
}

uint32_t CellSpace::allocated_slots() {
  std::lock_guard lock(mu_);
  return next_slot_;
}

}  // namespace dynobs::metrics::internal
