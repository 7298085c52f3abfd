#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dynobs::tracing {

// The W3C Trace Context `tracestate` header (Recommendation, Level 1):
//   tracestate: rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
// a list of at most 32 `key=value` members, keys unique, with the recommendation's grammars:
//   key    = simple-key / multi-tenant-key
//            simple-key: a lowercase letter, then up to 255 of [a-z0-9_-*/]
//            multi-tenant-key: tenant "@" system; tenant: [a-z0-9] then up to 240 of
//            [a-z0-9_-*/]; system: [a-z] then up to 13 of [a-z0-9_-*/]
//   value  = 1 to 256 printable ASCII characters (0x20-0x7e) except ',' and '=', not ending in
//            a space
// Spaces and tabs around members are ignored; empty members are allowed (and dropped).
//
// A value type. Not thread-safe for mutation; const members may be called concurrently.
class TraceState {
 public:
  static constexpr size_t kMaxMembers = 32;
  // What dynobs propagates at most (the recommendation's "at least 512 characters"), counted as
  // members joined by ','.
  static constexpr size_t kMaxLength = 512;
  // Members longer than this are the first dropped when a list is over kMaxLength.
  static constexpr size_t kLongMember = 128;

  struct Member {
    std::string key;
    std::string value;
    friend bool operator==(const Member&, const Member&) = default;
  };

  TraceState() = default;

  // Parses the values of every `tracestate` header of one request, in the order received, as
  // one list (multiple header fields combine as RFC 7230 §3.2.2 says). nullopt when the list is
  // invalid, which discards the whole header: a member that is not `key=value` by the grammar, a
  // duplicate key, or more than 32 members. A valid list longer than kMaxLength is truncated by
  // whole members, as the recommendation says: members longer than kLongMember first (right to
  // left), then from the right.
  [[nodiscard]] static std::optional<TraceState> Parse(
      std::span<const std::string_view> header_values);
  [[nodiscard]] static std::optional<TraceState> Parse(std::string_view header_value);

  [[nodiscard]] static bool IsValidKey(std::string_view key);
  [[nodiscard]] static bool IsValidValue(std::string_view value);

  [[nodiscard]] const std::vector<Member>& members() const { return members_; }
  [[nodiscard]] bool empty() const { return members_.empty(); }
  [[nodiscard]] std::optional<std::string_view> Get(std::string_view key) const;

  // Adds `key=value` at the front, or updates it and moves it to the front (the recommendation's
  // mutation rules); the right-most member goes when there would be more than 32, and the list
  // is truncated to kMaxLength. False (and no change) when the key or value is invalid.
  bool Set(std::string_view key, std::string_view value);
  void Erase(std::string_view key);

  // "k1=v1,k2=v2": no blanks, no empty members. "" when empty (send no header then).
  [[nodiscard]] std::string ToHeader() const;

  friend bool operator==(const TraceState&, const TraceState&) = default;

 private:
  void Truncate();

  std::vector<Member> members_;
};

}  // namespace dynobs::tracing
