#include "dynobs/tracing/tracestate.h"

#include <algorithm>

namespace dynobs::tracing {
namespace {

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsKeyTail(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool IsOws(char c) { return c == ' ' || c == '\t'; }

// `first` then up to `max_len - 1` key-tail characters.
bool IsKeyPart(std::string_view part, size_t max_len, bool digit_first) {
  if (part.empty() || part.size() > max_len) return false;
  if (!IsLcAlpha(part[0]) && !(digit_first && IsDigit(part[0]))) return false;
  return std::all_of(part.begin() + 1, part.end(), IsKeyTail);
}

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && IsOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsOws(v.back())) v.remove_suffix(1);
  return v;
}

size_t MemberLength(const TraceState::Member& m) { return m.key.size() + 1 + m.value.size(); }

size_t ListLength(const std::vector<TraceState::Member>& members) {
  size_t n = members.empty() ? 0 : members.size() - 1;  // commas
  for (const auto& m : members) n += MemberLength(m);
  return n;
}

// Appends the members of one header value; false when one is invalid.
bool ParseInto(std::string_view header, std::vector<TraceState::Member>& out) {
  while (true) {
    size_t comma = header.find(',');
    std::string_view piece = TrimOws(header.substr(0, comma));
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      if (eq == std::string_view::npos) return false;
      std::string_view key = piece.substr(0, eq);
      std::string_view value = piece.substr(eq + 1);
      if (!TraceState::IsValidKey(key) || !TraceState::IsValidValue(value)) return false;
      if (out.size() == TraceState::kMaxMembers) return false;
      for (const auto& m : out) {
        if (m.key == key) return false;
      }
      out.push_back({std::string(key), std::string(value)});
    }
    if (comma == std::string_view::npos) return true;
    header.remove_prefix(comma + 1);
  }
}

}  // namespace

bool TraceState::IsValidKey(std::string_view key) {
  size_t at = key.find('@');
  if (at == std::string_view::npos) return IsKeyPart(key, 256, /*digit_first=*/false);
  return IsKeyPart(key.substr(0, at), 241, /*digit_first=*/true) &&
         IsKeyPart(key.substr(at + 1), 14, /*digit_first=*/false);
}

bool TraceState::IsValidValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

std::optional<TraceState> TraceState::Parse(std::span<const std::string_view> header_values) {
  TraceState state;
  for (std::string_view v : header_values) {
    if (!ParseInto(v, state.members_)) return std::nullopt;
  }
  state.Truncate();
  return state;
}

std::optional<TraceState> TraceState::Parse(std::string_view header_value) {
  return Parse(std::span<const std::string_view>(&header_value, 1));
}

std::optional<std::string_view> TraceState::Get(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

bool TraceState::Set(std::string_view key, std::string_view value) {
  if (!IsValidKey(key) || !IsValidValue(value)) return false;
  Erase(key);
  members_.insert(members_.begin(), Member{std::string(key), std::string(value)});
  if (members_.size() > kMaxMembers) members_.pop_back();
  Truncate();
  return true;
}

void TraceState::Erase(std::string_view key) {
  std::erase_if(members_, [key](const Member& m) { return m.key == key; });
}

std::string TraceState::ToHeader() const {
  std::string out;
  out.reserve(ListLength(members_));
  for (const auto& m : members_) {
    if (!out.empty()) out.push_back(',');
    out.append(m.key).append(1, '=').append(m.value);
  }
  return out;
}

void TraceState::Truncate() {
  size_t length = ListLength(members_);
  // Long members first, from the right; then whatever is right-most.
  for (size_t i = members_.size(); i-- > 0 && length > kMaxLength;) {
    if (MemberLength(members_[i]) > kLongMember) {
      members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
      length = ListLength(members_);
    }
  }
  while (length > kMaxLength) {
    members_.pop_back();
    length = ListLength(members_);
  }
}

}  // namespace dynobs::tracing
