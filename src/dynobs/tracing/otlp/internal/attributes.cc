#include "dynobs/tracing/otlp/internal/attributes.h"

#include <cstdint>
#include <limits>

#include "dynobs/tracing/otlp/internal/json_writer.h"

namespace dynobs::otlp::internal {
namespace {

// AnyValue (common/v1): a oneof, so even a default value is written.
constexpr uint32_t kStringValue = 1;
constexpr uint32_t kBoolValue = 2;
constexpr uint32_t kIntValue = 3;
constexpr uint32_t kDoubleValue = 4;
// KeyValue.
constexpr uint32_t kKey = 1;
constexpr uint32_t kValue = 2;

using ValueKind = tracing::AttributeValue::Kind;
using FieldKind = LogData::Kind;

void WriteAnyValue(ProtoWriter& w, const tracing::AttributeValue& v) {
  switch (v.kind) {
    case ValueKind::kBool:
      w.BoolField(kBoolValue, v.b);
      break;
    case ValueKind::kInt:
      w.Int64Field(kIntValue, v.i);
      break;
    case ValueKind::kDouble:
      w.DoubleField(kDoubleValue, v.d);
      break;
    case ValueKind::kString:
      w.StringField(kStringValue, v.s);
      break;
  }
}

constexpr auto kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

void WriteAttribute(ProtoWriter& w, uint32_t field, const tracing::Attribute& a) {
  size_t kv = w.BeginMessage(field);
  w.StringField(kKey, a.key);
  size_t value = w.BeginMessage(kValue);
  WriteAnyValue(w, a.value);
  w.EndMessage(value);
  w.EndMessage(kv);
}

void WriteStringAttribute(ProtoWriter& w, uint32_t field, std::string_view key,
                          std::string_view value) {
  size_t kv = w.BeginMessage(field);
  w.StringField(kKey, key);
  size_t v = w.BeginMessage(kValue);
  w.StringField(kStringValue, value);
  w.EndMessage(v);
  w.EndMessage(kv);
}

void WriteIntAttribute(ProtoWriter& w, uint32_t field, std::string_view key, int64_t value) {
  size_t kv = w.BeginMessage(field);
  w.StringField(kKey, key);
  size_t v = w.BeginMessage(kValue);
  w.Int64Field(kIntValue, value);
  w.EndMessage(v);
  w.EndMessage(kv);
}

void WriteLogField(ProtoWriter& w, uint32_t field, const LogData& record, const LogData::Field& f) {
  size_t kv = w.BeginMessage(field);
  w.StringField(kKey, record.key(f));
  size_t v = w.BeginMessage(kValue);
  switch (f.kind) {
    case FieldKind::kBool:
      w.BoolField(kBoolValue, f.b);
      break;
    case FieldKind::kInt:
      w.Int64Field(kIntValue, f.i);
      break;
    case FieldKind::kUint:
      if (f.u <= kInt64Max) {
        w.Int64Field(kIntValue, static_cast<int64_t>(f.u));
      } else {
        w.StringField(kStringValue, std::to_string(f.u));
      }
      break;
    case FieldKind::kDouble:
      w.DoubleField(kDoubleValue, f.d);
      break;
    case FieldKind::kString:
    case FieldKind::kJson:
      w.StringField(kStringValue, record.text(f));
      break;
  }
  w.EndMessage(v);
  w.EndMessage(kv);
}

std::string ResourceProto(uint32_t field, const Resource& resource) {
  std::string out;
  ProtoWriter w(&out);
  size_t m = w.BeginMessage(field);
  for (const auto& [key, value] : resource.attributes) {
    WriteStringAttribute(w, /*Resource.attributes=*/1, key, value);
  }
  w.EndMessage(m);
  return out;
}

void AppendJsonAttribute(std::string& out, const tracing::Attribute& a) {
  out += "{\"key\":";
  AppendJsonText(out, a.key);
  switch (a.value.kind) {
    case ValueKind::kBool:
      out += a.value.b ? ",\"value\":{\"boolValue\":true}}" : ",\"value\":{\"boolValue\":false}}";
      return;
    case ValueKind::kInt:
      out += ",\"value\":{\"intValue\":";
      AppendJsonInt64String(out, a.value.i);
      break;
    case ValueKind::kDouble:
      out += ",\"value\":{\"doubleValue\":";
      AppendJsonDouble(out, a.value.d);
      break;
    case ValueKind::kString:
      out += ",\"value\":{\"stringValue\":";
      AppendJsonText(out, a.value.s);
      break;
  }
  out += "}}";
}

void AppendJsonStringAttribute(std::string& out, std::string_view key, std::string_view value) {
  out += "{\"key\":";
  AppendJsonText(out, key);
  out += ",\"value\":{\"stringValue\":";
  AppendJsonText(out, value);
  out += "}}";
}

void AppendJsonIntAttribute(std::string& out, std::string_view key, int64_t value) {
  out += "{\"key\":";
  AppendJsonText(out, key);
  out += ",\"value\":{\"intValue\":";
  AppendJsonInt64String(out, value);
  out += "}}";
}

void AppendJsonLogField(std::string& out, const LogData& record, const LogData::Field& f) {
  out += "{\"key\":";
  AppendJsonText(out, record.key(f));
  switch (f.kind) {
    case FieldKind::kBool:
      out += f.b ? ",\"value\":{\"boolValue\":true}}" : ",\"value\":{\"boolValue\":false}}";
      return;
    case FieldKind::kInt:
      out += ",\"value\":{\"intValue\":";
      AppendJsonInt64String(out, f.i);
      break;
    case FieldKind::kUint:
      out += f.u <= kInt64Max ? ",\"value\":{\"intValue\":" : ",\"value\":{\"stringValue\":";
      AppendJsonUint64String(out, f.u);
      break;
    case FieldKind::kDouble:
      out += ",\"value\":{\"doubleValue\":";
      AppendJsonDouble(out, f.d);
      break;
    case FieldKind::kString:
    case FieldKind::kJson:
      out += ",\"value\":{\"stringValue\":";
      AppendJsonText(out, record.text(f));
      break;
  }
  out += "}}";
}

std::string ResourceJson(const Resource& resource) {
  std::string out = "\"resource\":{\"attributes\":[";
  bool first = true;
  for (const auto& [key, value] : resource.attributes) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonStringAttribute(out, key, value);
  }
  out += "]}";
  return out;
}

}  // namespace dynobs::otlp::internal
