#include "dynobs/tracing/internal/span_fields.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

namespace dynobs::tracing::internal {

static_assert(std::is_trivially_copyable_v<logging::Field> &&
                  std::is_trivially_destructible_v<logging::Field>,
              "SpanFields keeps fields in raw storage");

namespace {

bool HasText(const logging::FieldValue& v) {
  return v.kind() == logging::FieldValue::Kind::kString ||
         v.kind() == logging::FieldValue::Kind::kJson;
}

// A copy of `v` built member by member (with `text` for string kinds). Copying a FieldValue
// that was just written with one wide move stalls on store forwarding; this does not.
logging::FieldValue Rebuild(const logging::FieldValue& v, std::string_view text) {
  switch (v.kind()) {
    case logging::FieldValue::Kind::kBool:
      return {v.as_bool()};
    case logging::FieldValue::Kind::kInt:
      return {v.as_int()};
    case logging::FieldValue::Kind::kUint:
      return {v.as_uint()};
    case logging::FieldValue::Kind::kDouble:
      return {v.as_double()};
    case logging::FieldValue::Kind::kString:
      return {text};
    case logging::FieldValue::Kind::kJson:
      return logging::FieldValue::Json(text);
  }
  return {text};
}

// OTLP's AnyValue subset: unsigned integers saturate into int64, JSON text is a string.
void Assign(AttributeValue& out, const logging::FieldValue& v) {
  if (!HasText(v)) out.s.clear();
  switch (v.kind()) {
    case logging::FieldValue::Kind::kBool:
      out.kind = AttributeValue::Kind::kBool;
      out.b = v.as_bool();
      break;
    case logging::FieldValue::Kind::kInt:
      out.kind = AttributeValue::Kind::kInt;
      out.i = v.as_int();
      break;
    case logging::FieldValue::Kind::kUint:
      out.kind = AttributeValue::Kind::kInt;
      out.i = static_cast<int64_t>(
          std::min<uint64_t>(v.as_uint(), std::numeric_limits<int64_t>::max()));
      break;
    case logging::FieldValue::Kind::kDouble:
      out.kind = AttributeValue::Kind::kDouble;
      out.d = v.as_double();
      break;
    case logging::FieldValue::Kind::kString:
    case logging::FieldValue::Kind::kJson:
      out.kind = AttributeValue::Kind::kString;
      out.s.assign(v.as_string());
      break;
  }
}

// Builds an Attribute right in the vector's slot (the conversion's prvalue is not moved), where
// emplace_back() would zero it first and emplace_back(Attribute{...}) would move its strings.
struct NewAttribute {
  std::string_view key;
  operator Attribute() const {  // NOLINT(google-explicit-constructor)
    return Attribute{std::string(key), AttributeValue{}};
  }
};

}  // namespace

bool SpanFields::Set(std::string_view key, const logging::FieldValue& value) {
  const logging::Field* fields = data();
  for (size_t i = 0; i < size_; ++i) {
    if (fields[i].key == key) {
      Replace(i, value);
      return true;
    }
  }
  if (size_ == kMaxFields) {
    ++dropped_;
    return false;
  }
  if (owns_attributes_) {
    AddAttribute(key, value);
  } else {
    std::string_view text = HasText(value) ? CopyText(value.as_string()) : std::string_view();
    Append(CopyText(key), value, text);
  }
  return true;
}

void SpanFields::Replace(size_t index, const logging::FieldValue& value) {
  logging::Field& field = mutable_data()[index];
  if (owns_attributes_) {
    AttributeValue& attribute = attributes_[index].value;
    Assign(attribute, value);
    field.value = Rebuild(value, attribute.s);
    return;
  }
  logging::FieldValue& old = field.value;
  if (HasText(value) && HasText(old) && !value.as_string().empty() &&
      value.as_string().size() <= old.as_string().size()) {
    // Reuse the old text's bytes (this object owns them), so that a value updated again and
    // again does not grow the span.
    auto* dest = const_cast<char*>(old.as_string().data());
    std::memmove(dest, value.as_string().data(), value.as_string().size());
    old = Rebuild(value, {dest, value.as_string().size()});
  } else {
    old = Rebuild(value, HasText(value) ? CopyText(value.as_string()) : std::string_view());
  }
}

void SpanFields::AddAttribute(std::string_view key, const logging::FieldValue& value) {
  if (attributes_.empty()) attributes_.reserve(kInlineFields);
  const Attribute* before = attributes_.data();
  Attribute& attribute = attributes_.emplace_back(NewAttribute{key});
  Assign(attribute.value, value);
  Append(attribute.key, value, attribute.value.s);
  if (attributes_.data() != before) RepointAll();  // the strings moved with the vector
}

void SpanFields::RepointAll() {
  logging::Field* fields = mutable_data();
  for (size_t i = 0; i < size_; ++i) {
    fields[i].key = attributes_[i].key;
    if (HasText(fields[i].value)) {
      fields[i].value = Rebuild(fields[i].value, attributes_[i].value.s);
    }
  }
}

void SpanFields::Append(std::string_view key, const logging::FieldValue& value,
                        std::string_view text) {
  if (size_ < kInlineFields) {
    new (inline_ + size_ * sizeof(logging::Field)) logging::Field{key, Rebuild(value, text)};
  } else {
    if (overflow_.empty()) {
      overflow_.reserve(2 * kInlineFields);
      const logging::Field* in = data();
      overflow_.assign(in, in + size_);
    }
    overflow_.push_back(logging::Field{key, Rebuild(value, text)});
  }
  ++size_;
}

std::vector<Attribute> SpanFields::TakeAttributes() {
  if (owns_attributes_) {
    size_ = 0;
    overflow_.clear();
    return std::move(attributes_);
  }
  return ToAttributes(view());
}

std::vector<Attribute> ToAttributes(std::span<const logging::Field> fields) {
  std::vector<Attribute> out;
  out.reserve(fields.size());
  for (const logging::Field& f : fields) {
    Attribute& a = out.emplace_back();
    a.key.assign(f.key);
    Assign(a.value, f.value);
  }
  return out;
}

std::string_view SpanFields::CopyText(std::string_view text) {
  if (text.empty()) return {};
  char* dest = nullptr;
  if (text_used_ + text.size() <= kInlineText) {
    dest = text_ + text_used_;
    text_used_ += text.size();
  } else {
    if (text_chunks_.empty() || chunk_used_ + text.size() > chunk_size_) {
      chunk_size_ = std::max<size_t>(1024, text.size());
      text_chunks_.push_back(std::make_unique<char[]>(chunk_size_));
      chunk_used_ = 0;
    }
    dest = text_chunks_.back().get() + chunk_used_;
    chunk_used_ += text.size();
  }
  std::memcpy(dest, text.data(), text.size());
  return {dest, text.size()};
}

}  // namespace dynobs::tracing::internal
