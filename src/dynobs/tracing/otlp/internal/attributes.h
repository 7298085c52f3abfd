#pragma once

#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/internal/proto_writer.h"
#include "dynobs/tracing/otlp/log_data.h"
#include "dynobs/tracing/otlp/resource.h"
#include "dynobs/tracing/span_data.h"

namespace dynobs::otlp::internal {

// KeyValue / AnyValue encoding shared by the trace and log encoders (common/v1).

// Protobuf: a KeyValue as field `field` of the enclosing message.
void WriteAttribute(ProtoWriter& w, uint32_t field, const tracing::Attribute& a);
void WriteStringAttribute(ProtoWriter& w, uint32_t field, std::string_view key,
                          std::string_view value);
void WriteIntAttribute(ProtoWriter& w, uint32_t field, std::string_view key, int64_t value);
void WriteLogField(ProtoWriter& w, uint32_t field, const LogData& record, const LogData::Field& f);
// Resource message bytes, as field `field` of the enclosing message.
[[nodiscard]] std::string ResourceProto(uint32_t field, const Resource& resource);

// JSON: `{"key":...,"value":{...}}`.
void AppendJsonAttribute(std::string& out, const tracing::Attribute& a);
void AppendJsonStringAttribute(std::string& out, std::string_view key, std::string_view value);
void AppendJsonIntAttribute(std::string& out, std::string_view key, int64_t value);
void AppendJsonLogField(std::string& out, const LogData& record, const LogData::Field& f);
// `"resource":{"attributes":[...]}`.
[[nodiscard]] std::string ResourceJson(const Resource& resource);

}  // namespace dynobs::otlp::internal
