#include "dynobs/logging/redaction.h"

#include <atomic>

namespace dynobs::logging {
namespace {

std::atomic<bool> g_payloads_enabled{false};

// Lower-case ASCII, with '-' folded into '_'.
char Fold(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '-' ? '_' : c;
}

// `folded` is lower-case with '_' for both separators.
bool EndsWithFolded(std::string_view key, std::string_view folded) {
  if (key.size() < folded.size()) return false;
  size_t offset = key.size() - folded.size();
  for (size_t i = 0; i < folded.size(); ++i) {
    if (Fold(key[offset + i]) != folded[i]) return false;
  }
  return true;
}

bool EqualsFolded(std::string_view key, std::string_view folded) {
  return key.size() == folded.size() && EndsWithFolded(key, folded);
}

}  // namespace

bool IsSensitiveKey(std::string_view key) {
  if (key.size() < 6) return false;  // the shortest: cookie, secret, _token
  switch (Fold(key.back())) {
    case 'n':
      return EndsWithFolded(key, "_token") || EqualsFolded(key, "authorization") ||
             EqualsFolded(key, "proxy_authorization");
    case 'e':
      return EqualsFolded(key, "cookie") || EqualsFolded(key, "set_cookie");
    case 'y':
      return EqualsFolded(key, "api_key") || EqualsFolded(key, "x_api_key");
    case 'd':
      return EndsWithFolded(key, "password");
    case 't':
      return EndsWithFolded(key, "secret");
    default:
      return false;
  }
}

std::string_view RedactHeaderValue(std::string_view header_name, std::string_view value) {
  return IsSensitiveKey(header_name) ? kRedacted : value;
}

FieldValue Payload(std::string_view text) {
  return PayloadsEnabled() ? FieldValue(text) : FieldValue(kPayloadOmitted);
}

void SetPayloadsEnabled(bool enabled) {
  g_payloads_enabled.store(enabled, std::memory_order_relaxed);
}

bool PayloadsEnabled() { return g_payloads_enabled.load(std::memory_order_relaxed); }

std::span<const Field> RedactFields(std::span<const Field> fields, std::vector<Field>* scratch) {
  size_t i = 0;
  while (i < fields.size() && !IsSensitiveKey(fields[i].key)) ++i;
  if (i == fields.size()) return fields;
  scratch->clear();
  scratch->insert(scratch->end(), fields.begin(), fields.end());
  for (; i < scratch->size(); ++i) {
    Field& f = (*scratch)[i];
    if (IsSensitiveKey(f.key)) f.value = FieldValue(kRedacted);
  }
  return *scratch;
}

}  // namespace dynobs::logging
