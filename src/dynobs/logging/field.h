#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace dynobs::logging {

// A typed value of a log-record or span field (spec §7.3 decides how each kind is written in
// JSONL: bool as a JSON bool; integers as numbers; doubles as numbers, NaN and infinities as 0;
// strings as strings, except that a string which is itself valid JSON is embedded as JSON; Json
// values embedded as given).
//
// A FieldValue does not own its text: strings are views that must outlive the value. Call sites
// pass fields for the duration of one logging call; whatever keeps a record longer (an exporter
// queue) copies what it needs.
class FieldValue {
 public:
  enum class Kind : uint8_t { kBool, kInt, kUint, kDouble, kString, kJson };

  FieldValue(bool v) : kind_(Kind::kBool), b_(v) {}  // NOLINT(google-explicit-constructor)
  template <typename T>
  requires(std::is_integral_v<T>&& std::is_signed_v<T> && !std::is_same_v<T, bool>) FieldValue(T v)
      : kind_(Kind::kInt), i_(v) {}  // NOLINT(google-explicit-constructor)
  template <typename T>
  requires(std::is_integral_v<T>&& std::is_unsigned_v<T> && !std::is_same_v<T, bool>)
      FieldValue(T v)
      : kind_(Kind::kUint), u_(v) {}                     // NOLINT(google-explicit-constructor)
  FieldValue(double v) : kind_(Kind::kDouble), d_(v) {}  // NOLINT(google-explicit-constructor)
  FieldValue(std::string_view v)                         // NOLINT(google-explicit-constructor)
      : kind_(Kind::kString), s_(v) {}
  FieldValue(const char* v) : FieldValue(std::string_view(v)) {}         // NOLINT
  FieldValue(const std::string& v) : FieldValue(std::string_view(v)) {}  // NOLINT

  // A value that is already JSON text (an object, an array, a number...), embedded as is.
  static FieldValue Json(std::string_view json_text) {
    FieldValue v(json_text);
    v.kind_ = Kind::kJson;
    return v;
  }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool as_bool() const { return b_; }
  [[nodiscard]] int64_t as_int() const { return i_; }
  [[nodiscard]] uint64_t as_uint() const { return u_; }
  [[nodiscard]] double as_double() const { return d_; }
  [[nodiscard]] std::string_view as_string() const { return s_; }  // kString and kJson

 private:
  Kind kind_;
  union {
    bool b_;
    int64_t i_;
    uint64_t u_;
    double d_;
  };
  std::string_view s_;
};

struct Field {
  std::string_view key;
  FieldValue value;
};

}  // namespace dynobs::logging
