#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/internal/utf8.h"

namespace dynobs::otlp::internal {

// Protobuf wire types (protobuf encoding guide).
enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

[[nodiscard]] constexpr size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Appends protobuf fields to a string. Nested messages are written in place: BeginMessage writes
// the tag and a one-byte length, EndMessage fills it in and, when the message came out 128 bytes
// or longer, moves its bytes up to make room for the longer length (once per large message; the
// small ones, attributes and values, never move). Varints are always minimal.
//
// Not thread-safe; the string must outlive the writer. Every call appends: amortized O(bytes).
class ProtoWriter {
 public:
  explicit ProtoWriter(std::string* out) : out_(out) {}

  void Varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_->append(buf, n);
  }
  void Tag(uint32_t field, WireType type) {
    Varint(static_cast<uint64_t>(field) << 3 | static_cast<uint32_t>(type));
  }

  void VarintField(uint32_t field, uint64_t v) {
    Tag(field, WireType::kVarint);
    Varint(v);
  }
  // int32/int64/enum: negative values are ten-byte two's complement varints.
  void Int64Field(uint32_t field, int64_t v) { VarintField(field, static_cast<uint64_t>(v)); }
  void BoolField(uint32_t field, bool v) { VarintField(field, v ? 1 : 0); }
  void Fixed64Field(uint32_t field, uint64_t v) {
    Tag(field, WireType::kFixed64);
    AppendLittleEndian(v, 8);
  }
  void Fixed32Field(uint32_t field, uint32_t v) {
    Tag(field, WireType::kFixed32);
    AppendLittleEndian(v, 4);
  }
  void DoubleField(uint32_t field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    Fixed64Field(field, bits);
  }
  void BytesField(uint32_t field, std::string_view bytes) {
    Tag(field, WireType::kLen);
    Varint(bytes.size());
    out_->append(bytes);
  }
  void BytesField(uint32_t field, const uint8_t* data, size_t size) {
    BytesField(field, std::string_view(reinterpret_cast<const char*>(data), size));
  }
  // A `string` field: invalid UTF-8 is replaced (see utf8.h), so the message stays decodable.
  void StringField(uint32_t field, std::string_view s) {
    if (IsValidUtf8(s)) {
      BytesField(field, s);
    } else {
      StringFieldSlow(field, s);
    }
  }

  // Returns the mark EndMessage needs.
  [[nodiscard]] size_t BeginMessage(uint32_t field) {
    Tag(field, WireType::kLen);
    out_->push_back('\0');
    return out_->size();
  }
  void EndMessage(size_t mark) {
    size_t len = out_->size() - mark;
    if (len < 0x80) {
      (*out_)[mark - 1] = static_cast<char>(len);
    } else {
      EndLongMessage(mark, len);
    }
  }

  [[nodiscard]] std::string& out() { return *out_; }

 private:
  void AppendLittleEndian(uint64_t v, size_t n) {
    char buf[8];
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out_->append(buf, n);
  }
  void StringFieldSlow(uint32_t field, std::string_view s);
  void EndLongMessage(size_t mark, size_t len);

  std::string* out_;
};

}  // namespace dynobs::otlp::internal
