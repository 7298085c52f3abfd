#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace dynobs::logging::internal {

// A growable byte buffer for building one log line. Formatters Reserve() an upper bound for the
// piece they are about to write, write through the returned pointer without further checks, and
// Commit() the new end: one capacity check per piece instead of one per byte.
// Not thread-safe; the logger keeps one per thread. Copy is deleted (it owns its bytes).
class LineBuffer {
 public:
  LineBuffer() { Grow(1024); }
  LineBuffer(const LineBuffer&) = delete;
  LineBuffer& operator=(const LineBuffer&) = delete;

  void clear() { cur_ = begin_; }
  [[nodiscard]] std::string_view view() const {
    return {begin_, static_cast<size_t>(cur_ - begin_)};
  }
  [[nodiscard]] size_t capacity() const { return static_cast<size_t>(end_ - begin_); }

  // Room for `n` more bytes at the returned pointer (valid until the next Reserve or Append).
  char* Reserve(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) Grow(n);
    return cur_;
  }
  void Commit(char* end) { cur_ = end; }

  void Append(std::string_view s) {
    std::memcpy(Reserve(s.size()), s.data(), s.size());
    cur_ += s.size();
  }
  void Push(char c) {
    Reserve(1);
    *cur_++ = c;
  }

  // Empties the buffer and gives back memory after an exceptionally long line.
  void ShrinkTo(size_t capacity) {
    if (this->capacity() <= capacity) return;
    data_.reset();
    begin_ = cur_ = end_ = nullptr;
    Grow(capacity);
  }

 private:
  void Grow(size_t n) {
    size_t used = static_cast<size_t>(cur_ - begin_);
    size_t want = std::max(capacity() * 2, used + n);
    auto bigger = std::make_unique_for_overwrite<char[]>(want);
    if (used > 0) std::memcpy(bigger.get(), begin_, used);
    data_ = std::move(bigger);
    begin_ = data_.get();
    cur_ = begin_ + used;
    end_ = begin_ + want;
  }

  std::unique_ptr<char[]> data_;
  char* begin_ = nullptr;
  char* cur_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace dynobs::logging::internal
