#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dynobs/runtime/request_plane/internal/frame.h"

namespace dynobs::runtime::request_plane_internal {

// Splits a byte stream into frames. The owner reads from its socket into Space(), Commit()s what
// arrived, then takes frames with Next() until it says kNeedMore. Reads are large (at least 4 KiB
// of space, more when a frame needs it), so one read usually brings many frames.
//
// Memory: the buffer grows only as far as a frame needs (header + max_payload_bytes at most) and
// returns to its initial size when it empties after holding a large frame.
// Thread safety: none; one owner (a connection's strand).
class FrameReader {
 public:
  enum class Result { kFrame, kNeedMore, kUnknownType, kOversized };

  explicit FrameReader(size_t max_payload_bytes, size_t initial_bytes = size_t{16} << 10);
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Where to read next; never empty. Invalidates the views Next() returned.
  [[nodiscard]] std::span<char> Space();
  void Commit(size_t bytes) { end_ += bytes; }

  // The next complete frame, its payload a view into the buffer (valid until Space()). On
  // kUnknownType / kOversized the stream cannot be resynchronized: drop the connection.
  Result Next(FrameType* type, std::string_view* payload);

  // Bytes received and not yet returned as frames.
  [[nodiscard]] size_t buffered() const { return end_ - begin_; }
  // After kOversized: the announced payload length; after kUnknownType: the type byte.
  [[nodiscard]] uint64_t bad_value() const { return bad_value_; }
  [[nodiscard]] size_t max_payload_bytes() const { return max_payload_; }

 private:
  void Reserve(size_t total);  // capacity for `total` bytes from begin_

  const size_t max_payload_;
  const size_t initial_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t bad_value_ = 0;
};

}  // namespace dynobs::runtime::request_plane_internal
