#include "dynobs/runtime/request_plane/internal/frame_reader.h"

#include <algorithm>
#include <cstring>

namespace dynobs::runtime::request_plane_internal {
namespace {

constexpr size_t kMinReadBytes = size_t{4} << 10;
constexpr size_t kShrinkAboveBytes = size_t{1} << 20;

}  // namespace

FrameReader::FrameReader(size_t max_payload_bytes, size_t initial_bytes)
    : max_payload_(max_payload_bytes),
      initial_(std::max(initial_bytes, kMinReadBytes)),
      buf_(new char[initial_]),
      capacity_(initial_) {}

void FrameReader::Reserve(size_t total) {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (total <= capacity_) return;
  size_t grown = std::max(total, capacity_ * 2);
  std::unique_ptr<char[]> bigger(new char[grown]);
  std::memcpy(bigger.get(), buf_.get(), end_);
  buf_ = std::move(bigger);
  capacity_ = grown;
}

std::span<char> FrameReader::Space() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (capacity_ > kShrinkAboveBytes) {
      buf_.reset(new char[initial_]);
      capacity_ = initial_;
    }
  }
  size_t want = end_ - begin_ + kMinReadBytes;
  if (end_ - begin_ >= kFrameHeaderBytes) {
    const auto* h = reinterpret_cast<const uint8_t*>(buf_.get() + begin_);
    size_t len = (size_t{h[0]} << 24) | (size_t{h[1]} << 16) | (size_t{h[2]} << 8) | h[3];
    if (len <= max_payload_) want = std::max(want, kFrameHeaderBytes + len);
  }
  if (capacity_ - begin_ < want || capacity_ - end_ < kMinReadBytes) Reserve(want);
  return {buf_.get() + end_, capacity_ - end_};
}

FrameReader::Result FrameReader::Next(FrameType* type, std::string_view* payload) {
  size_t avail = end_ - begin_;
  if (avail < kFrameHeaderBytes) return Result::kNeedMore;
  const auto* h = reinterpret_cast<const uint8_t*>(buf_.get() + begin_);
  size_t len = (size_t{h[0]} << 24) | (size_t{h[1]} << 16) | (size_t{h[2]} << 8) | h[3];
  uint8_t t = h[4];
  if (t < static_cast<uint8_t>(FrameType::kRequest) || t > static_cast<uint8_t>(FrameType::kEnd)) {
    bad_value_ = t;
    return Result::kUnknownType;
  }
  if (len > max_payload_) {
    bad_value_ = len;
    return Result::kOversized;
  }
  if (avail < kFrameHeaderBytes + len) return Result::kNeedMore;
  *type = static_cast<FrameType>(t);
  *payload = std::string_view(buf_.get() + begin_ + kFrameHeaderBytes, len);
  begin_ += kFrameHeaderBytes + len;
  return Result::kFrame;
}

}  // namespace dynobs::runtime::request_plane_internal
