// The JSONL line (spec §7.3); format.h states the rules.
#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include "dynobs/logging/filter.h"
#include "dynobs/logging/internal/json.h"
#include "dynobs/logging/internal/text.h"
#include "dynobs/logging/redaction.h"

namespace dynobs::logging::internal {
namespace {

// One key of the sorted part of a line. Trivial, 32 bytes: a line sorts an array of these.
// (The key is a raw pointer and size so that an array of entries costs nothing to declare.)
struct Entry {
  uint64_t prefix;  // the key's first 8 bytes, big-endian, zero-padded: compares most keys
  const char* key_data;
  size_t key_size;
  const FieldValue* value;
  uint32_t order;  // insertion order: of equal keys the later wins
  bool as_string;  // span fields and span context: always a JSON string
  [[nodiscard]] std::string_view key() const { return {key_data, key_size}; }
};

// A line's entries: on the stack up to kInline, else on the heap.
class Entries {
 public:
  static constexpr size_t kInline = 48;
  explicit Entries(size_t max) {
    if (max > kInline) {
      heap_ = std::make_unique_for_overwrite<Entry[]>(max);
      data_ = heap_.get();
    }
  }
  void Add(std::string_view key, const FieldValue* value, bool as_string) {
    Entry& e = data_[size_];  // member by member: no temporary to copy from
    e.prefix = KeyPrefix(key);
    e.key_data = key.data();
    e.key_size = key.size();
    e.value = value;
    e.order = static_cast<uint32_t>(size_);
    e.as_string = as_string;
    ++size_;
  }
  Entry* begin() { return data_; }
  Entry* end() { return data_ + size_; }
  [[nodiscard]] size_t size() const { return size_; }
  Entry& operator[](size_t i) { return data_[i]; }

 private:
  static uint64_t KeyPrefix(std::string_view key) {
    uint64_t w = 0;
    if (key.size() >= 8) {
      w = Load8(key.data());
    } else {
      for (size_t i = 0; i < key.size(); ++i) {
        w |= uint64_t{static_cast<unsigned char>(key[i])} << (8 * i);
      }
    }
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }

  Entry inline_[kInline];
  std::unique_ptr<Entry[]> heap_;
  Entry* data_ = inline_;
  size_t size_ = 0;
};

bool EntryLess(const Entry& a, const Entry& b) {
  if (a.prefix != b.prefix) return a.prefix < b.prefix;
  int c = a.key().compare(b.key());
  return c != 0 ? c < 0 : a.order < b.order;
}

// Event fields named like the fixed keys move aside, so that no key appears twice.
std::string_view FieldKey(std::string_view key) {
  if (key.size() < 4 || key.size() > 7) return key;
  switch (key[0]) {
    case 't':
      return key == "time" ? "fields.time" : key == "target" ? "fields.target" : key;
    case 'l':
      return key == "level" ? "fields.level" : key == "line" ? "fields.line" : key;
    case 'f':
      return key == "file" ? "fields.file" : key;
    case 'm':
      return key == "message" ? "fields.message" : key;
    default:
      return key;
  }
}

bool IsSpanContextKey(std::string_view key) {
  switch (key.size()) {
    case 7:
      return key == "span_id";
    case 8:
      return key == "trace_id";
    case 9:
      return key == "parent_id" || key == "span_name";
    case 10:
      return key == "tracestate";
    default:
      return false;
  }
}

const FieldValue kRedactedValue{kRedacted};

void AddField(Entries& out, const Field& f, bool as_string) {
  out.Add(FieldKey(f.key), IsSensitiveKey(f.key) ? &kRedactedValue : &f.value, as_string);
}

// The span's context as values (hex ids in `hex`, 64 chars), alive while the line is written.
struct SpanContextValues {
  FieldValue name{false}, trace_id{false}, span_id{false}, parent_id{false};
  FieldValue tracestate{false}, x_request_id{false}, request_id{false};
};

void CollectEntries(const LogRecord& r, SpanContextValues& ctx, char* hex, Entries& out) {
  for (const Field& f : r.fields) {
    if (r.span == nullptr && IsSpanContextKey(f.key)) continue;
    AddField(out, f, false);
  }
  if (r.span == nullptr) return;
  const SpanInfo& s = *r.span;
  for (const Field& f : s.fields) AddField(out, f, true);
  ctx.name = FieldValue(s.name);
  ctx.trace_id = FieldValue(HexInto(s.trace_id, hex));
  ctx.span_id = FieldValue(HexInto(s.span_id, hex + 32));
  ctx.parent_id = FieldValue(HexInto(s.parent_id, hex + 48));
  ctx.tracestate = FieldValue(s.tracestate);
  ctx.x_request_id = FieldValue(s.x_request_id);
  ctx.request_id = FieldValue(s.request_id);
  out.Add("span_name", &ctx.name, true);
  out.Add("trace_id", &ctx.trace_id, true);
  out.Add("span_id", &ctx.span_id, true);
  if (!AllZero(s.parent_id)) out.Add("parent_id", &ctx.parent_id, true);
  if (!s.tracestate.empty()) out.Add("tracestate", &ctx.tracestate, true);
  if (!s.x_request_id.empty()) out.Add("x_request_id", &ctx.x_request_id, true);
  if (!s.request_id.empty()) out.Add("request_id", &ctx.request_id, true);
}

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

size_t ValueBound(const FieldValue& v) {
  bool text = v.kind() == FieldValue::Kind::kString || v.kind() == FieldValue::Kind::kJson;
  return text ? EscapedBound(v.as_string().size()) : kNumberBound + 2;
}

// Span fields and context: always strings, as Dynamo writes them.
char* WriteStringified(char* p, const FieldValue& v) {
  using Kind = FieldValue::Kind;
  if (v.kind() == Kind::kString || v.kind() == Kind::kJson) {
    return WriteJsonString(p, v.as_string());
  }
  *p++ = '"';
  if (v.kind() == Kind::kBool) p = Put(p, v.as_bool() ? "true" : "false");
  if (v.kind() == Kind::kInt) p = WriteDecimal(p, v.as_int());
  if (v.kind() == Kind::kUint) p = WriteDecimal(p, v.as_uint());
  if (v.kind() == Kind::kDouble) p = WriteDoubleText(p, v.as_double());
  *p++ = '"';
  return p;
}

char* WriteValue(char* p, const Entry& e) {
  const FieldValue& v = *e.value;
  if (e.as_string) return WriteStringified(p, v);
  switch (v.kind()) {
    case FieldValue::Kind::kBool:
      return Put(p, v.as_bool() ? "true" : "false");
    case FieldValue::Kind::kInt:
      return WriteDecimal(p, v.as_int());
    case FieldValue::Kind::kUint:
      return WriteDecimal(p, v.as_uint());
    case FieldValue::Kind::kDouble:
      return WriteJsonDouble(p, v.as_double());
    case FieldValue::Kind::kString:
    case FieldValue::Kind::kJson:
      break;
  }
  std::string_view text = v.as_string();
  return IsValidJson(text) ? WriteCompactJson(p, text) : WriteJsonString(p, text);
}

void WriteSortedEntries(Entries& entries, LineBuffer* out) {
  std::sort(entries.begin(), entries.end(), EntryLess);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i + 1 < entries.size() && entries[i + 1].key() == e.key()) continue;  // the later wins
    char* p = out->Reserve(EscapedBound(e.key_size) + ValueBound(*e.value) + 2);
    *p++ = ',';
    p = WriteJsonString(p, e.key());
    *p++ = ':';
    out->Commit(WriteValue(p, e));
  }
}

}  // namespace

void WriteJsonl(const LogRecord& record, const FormatOptions& options, LineBuffer* out) {
  char* p = out->Reserve(kTimestampBound + 80 + EscapedBound(record.file.size()) +
                         EscapedBound(record.target.size()) + EscapedBound(record.message.size()));
  p = Put(p, R"({"time":")");
  p = WriteTimestamp(p, record.time_unix_nanos, options.local_time);
  p = Put(p, R"(","level":")");
  p = Put(p, LevelName(record.level));
  *p++ = '"';
  if (!record.file.empty()) {
    p = Put(p, R"(,"file":)");
    p = WriteJsonString(p, record.file);
  }
  if (record.line != 0) {
    p = Put(p, R"(,"line":)");
    p = WriteDecimal(p, record.line);
  }
  p = Put(p, R"(,"target":)");
  p = WriteJsonString(p, record.target);
  p = Put(p, R"(,"message":)");
  p = WriteJsonString(p, record.message);
  out->Commit(p);

  size_t span_fields = record.span != nullptr ? record.span->fields.size() : 0;
  Entries entries(record.fields.size() + span_fields + 7);
  SpanContextValues ctx;
  char hex[64];
  CollectEntries(record, ctx, hex, entries);
  WriteSortedEntries(entries, out);
  p = out->Reserve(2);
  p = Put(p, "}\n");
  out->Commit(p);
}

}  // namespace dynobs::logging::internal
