#pragma once

#include <cstdint>
#include <string_view>

namespace dynobs::otlp::internal {

// Reads protobuf fields from untrusted bytes (a collector's answer). Every read checks bounds;
// a malformed message makes Next() return false and ok() false. Nothing is allocated.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}

  // Advances to the next field; false at the end or on malformed input (see ok()).
  bool Next() {
    if (pos_ >= data_.size()) return false;
    uint64_t tag = 0;
    if (!ReadVarint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return Fail();
    field_ = static_cast<uint32_t>(tag >> 3);
    type_ = static_cast<uint32_t>(tag & 7);
    switch (type_) {
      case 0:
        return ReadVarint(&varint_) || Fail();
      case 1:
        return Skip(8);
      case 5:
        return Skip(4);
      case 2: {
        uint64_t len = 0;
        if (!ReadVarint(&len) || len > data_.size() - pos_) return Fail();
        bytes_ = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      default:
        return Fail();  // groups (3, 4) and invalid types
    }
  }

  [[nodiscard]] uint32_t field() const { return field_; }
  [[nodiscard]] bool is_varint() const { return type_ == 0; }
  [[nodiscard]] bool is_bytes() const { return type_ == 2; }
  [[nodiscard]] uint64_t varint() const { return varint_; }
  [[nodiscard]] std::string_view bytes() const { return bytes_; }
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  bool ReadVarint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return Fail();
    pos_ += n;
    return true;
  }
  bool Fail() {
    ok_ = false;
    pos_ = data_.size();
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  uint32_t type_ = 0;
  uint64_t varint_ = 0;
  std::string_view bytes_;
  bool ok_ = true;
};

}  // namespace dynobs::otlp::internal
