#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace dynobs::metrics {

// Appends `v` as Rust's f64 Display prints it, which is what Dynamo's exposition shows: the
// shortest digits that read back as the same double, never an exponent, integral values without
// ".0" (1, 2.5, 0.00001, 0.15000000000000002); +Inf, -Inf and NaN as Prometheus spells them.
inline void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[400];  // the longest fixed form of a double is about 330 characters
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out.append(buf, res.ptr);
}

inline void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

inline void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

[[nodiscard]] inline std::string FormatDouble(double v) {
  std::string s;
  AppendDouble(s, v);
  return s;
}

}  // namespace dynobs::metrics
