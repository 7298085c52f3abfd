// The readable line (spec §7.1); format.h states the rules.
#include <algorithm>
#include <cstring>
#include <span>

#include "dynobs/logging/filter.h"
#include "dynobs/logging/internal/json.h"
#include "dynobs/logging/internal/text.h"
#include "dynobs/logging/redaction.h"

namespace dynobs::logging::internal {
namespace {

std::string_view AnsiColour(Level level) {
  switch (level) {
    case Level::kError:
      return "\x1b[31m";
    case Level::kWarn:
      return "\x1b[33m";
    case Level::kInfo:
      return "\x1b[32m";
    case Level::kDebug:
      return "\x1b[34m";
    case Level::kTrace:
      return "\x1b[35m";
  }
  return "";
}

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

bool AnySpecial(uint64_t w) {  // JSON's specials, plus DEL
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  uint64_t del = w ^ (k01 * 0x7f);
  return AnyJsonSpecial(w) || (((del - k01) & ~del) & (k01 * 0x80)) != 0;
}

char* WriteEscapedByte(char* p, unsigned char u) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '\\';
  if (u == '\n') {
    *p++ = 'n';
  } else if (u == '\r') {
    *p++ = 'r';
  } else if (u == '\t') {
    *p++ = 't';
  } else if (u == '"' || u == '\\') {
    *p++ = static_cast<char>(u);
  } else {
    p = Put(p, "u00");
    *p++ = kHex[u >> 4];
    *p++ = kHex[u & 0xf];
  }
  return p;
}

// `s` with control characters escaped and invalid UTF-8 replaced; with `quoted`, also `"` and
// `\` escaped and the whole in quotes. Room: EscapedBound(s.size()).
char* WriteText(char* p, std::string_view s, bool quoted) {
  if (quoted) *p++ = '"';
  const auto* in = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = in + s.size();
  while (in < end) {
    if (end - in >= 8 && !AnySpecial(Load8(in))) {
      std::memcpy(p, in, 8);
      p += 8;
      in += 8;
      continue;
    }
    unsigned char u = *in;
    if (u >= 0x80) {
      Utf8Step step = NextUtf8(in, end);
      p = step.valid ? Put(p, {reinterpret_cast<const char*>(in), step.length})
                     : Put(p, kReplacementChar);
      in += step.length;
      continue;
    }
    ++in;
    bool escape = u < 0x20 || u == 0x7f || (quoted && (u == '"' || u == '\\'));
    if (escape) {
      p = WriteEscapedByte(p, u);
    } else {
      *p++ = static_cast<char>(u);
    }
  }
  if (quoted) *p++ = '"';
  return p;
}

void WriteText(LineBuffer* out, std::string_view s) {
  out->Commit(WriteText(out->Reserve(EscapedBound(s.size())), s, false));
}

char* WriteValue(char* p, const FieldValue& v) {
  switch (v.kind()) {
    case FieldValue::Kind::kBool:
      return Put(p, v.as_bool() ? "true" : "false");
    case FieldValue::Kind::kInt:
      return WriteDecimal(p, v.as_int());
    case FieldValue::Kind::kUint:
      return WriteDecimal(p, v.as_uint());
    case FieldValue::Kind::kDouble:
      return WriteDoubleText(p, v.as_double());
    case FieldValue::Kind::kJson:
      if (IsValidJson(v.as_string())) return WriteCompactJson(p, v.as_string());
      break;
    case FieldValue::Kind::kString:
      break;
  }
  return WriteText(p, v.as_string(), NeedsQuotes(v.as_string()));
}

// Writes ` key=value` per field; a field whose key is in `shadowed` (the event's own fields, for
// the span's) is left out: the event's value is the one shown, once.
void WriteFields(std::span<const Field> fields, LineBuffer* out,
                 std::span<const Field> shadowed = {}) {
  for (const Field& f : fields) {
    if (std::any_of(shadowed.begin(), shadowed.end(),
                    [&](const Field& e) { return e.key == f.key; })) {
      continue;
    }
    FieldValue v = IsSensitiveKey(f.key) ? FieldValue(kRedacted) : f.value;
    bool text = v.kind() == FieldValue::Kind::kString || v.kind() == FieldValue::Kind::kJson;
    size_t bound =
        EscapedBound(f.key.size()) + 2 + (text ? EscapedBound(v.as_string().size()) : kNumberBound);
    char* p = out->Reserve(bound);
    *p++ = ' ';
    p = WriteText(p, f.key, false);
    *p++ = '=';
    out->Commit(WriteValue(p, v));
  }
}

}  // namespace

void WriteReadable(const LogRecord& record, const FormatOptions& options, LineBuffer* out) {
  char* p = out->Reserve(kTimestampBound + 32);
  p = WriteTimestamp(p, record.time_unix_nanos, options.local_time);
  *p++ = ' ';
  if (options.ansi) p = Put(p, AnsiColour(record.level));
  std::string_view name = LevelName(record.level);
  for (size_t i = name.size(); i < 5; ++i) *p++ = ' ';
  p = Put(p, name);
  if (options.ansi) p = Put(p, "\x1b[0m");
  *p++ = ' ';
  out->Commit(p);
  if (record.span != nullptr) {
    WriteText(out, record.span->name);
    out->Append(": ");
  }
  WriteText(out, record.target);
  out->Append(": ");
  WriteText(out, record.message);
  WriteFields(record.fields, out);
  if (record.span != nullptr) WriteFields(record.span->fields, out, record.fields);
  out->Push('\n');
}

}  // namespace dynobs::logging::internal
