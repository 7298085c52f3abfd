#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include "dynobs/logging/field.h"
#include "dynobs/tracing/span_data.h"

namespace dynobs::tracing::internal {

// A span's fields (its attributes), kept the way the logger reads them: logging::Field views
// into text the span owns. Two ways to own the text:
//  - a span that is not exported copies keys and string values into an arena: the first
//    kInlineText bytes inside this object, then chunks that never move;
//  - an exported span keeps them in the OTLP-shaped attributes its SpanData will carry
//    (OwnAttributes()), so that ending it moves them instead of converting: the views point
//    into those strings and are re-pointed whenever the strings move.
// The first kInlineFields views need no allocation either way.
//
// Not thread-safe; owned by one Span and pinned with it (neither copyable nor movable).
class SpanFields {
 public:
  static constexpr size_t kInlineFields = 8;
  static constexpr size_t kInlineText = 256;
  // OpenTelemetry's default attribute count limit; fields past it are dropped and counted.
  static constexpr size_t kMaxFields = 128;

  SpanFields() = default;
  SpanFields(const SpanFields&) = delete;
  SpanFields& operator=(const SpanFields&) = delete;

  // Keep attributes in SpanData's shape from now on. Call before the first Set().
  void OwnAttributes() { owns_attributes_ = true; }

  // Sets `key` to `value`, replacing an earlier value of the same key. Copies the key and string
  // (and JSON) values. False when the field was dropped (over kMaxFields).
  bool Set(std::string_view key, const logging::FieldValue& value);

  [[nodiscard]] std::span<const logging::Field> view() const { return {data(), size_}; }
  [[nodiscard]] uint32_t dropped() const { return dropped_; }

  // The attributes for SpanData, in the order first set. Moves them out when OwnAttributes()
  // was called (view() is empty afterwards), converts otherwise.
  [[nodiscard]] std::vector<Attribute> TakeAttributes();

 private:
  [[nodiscard]] const logging::Field* data() const {
    return overflow_.empty() ? std::launder(reinterpret_cast<const logging::Field*>(inline_))
                             : overflow_.data();
  }
  logging::Field* mutable_data() { return const_cast<logging::Field*>(data()); }
  void Append(std::string_view key, const logging::FieldValue& value, std::string_view text);
  void Replace(size_t index, const logging::FieldValue& value);
  void AddAttribute(std::string_view key, const logging::FieldValue& value);
  void RepointAll();
  std::string_view CopyText(std::string_view text);

  size_t size_ = 0;
  uint32_t dropped_ = 0;
  bool owns_attributes_ = false;
  size_t text_used_ = 0;
  alignas(logging::Field) std::byte inline_[kInlineFields * sizeof(logging::Field)];
  char text_[kInlineText];
  std::vector<logging::Field> overflow_;  // every field, once there are more than kInlineFields
  std::vector<Attribute> attributes_;     // with OwnAttributes(): field i is attribute i
  std::vector<std::unique_ptr<char[]>> text_chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
};

// Copies of `fields` as OTLP-shaped attributes: unsigned integers saturate into int64, JSON
// text becomes a string.
[[nodiscard]] std::vector<Attribute> ToAttributes(std::span<const logging::Field> fields);

}  // namespace dynobs::tracing::internal
