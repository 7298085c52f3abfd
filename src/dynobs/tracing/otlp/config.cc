#include "dynobs/tracing/otlp/config.h"

#include <algorithm>
#include <fstream>
#include <optional>

#include <fmt/format.h>

namespace dynobs::otlp {
namespace {

constexpr int64_t kMaxMillis = 3'600'000;     // one hour
constexpr int64_t kMaxQueueSize = 1'048'576;  // ~ 0.5 GB of typical spans: a generous bound

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

std::string_view Upper(Signal s) { return s == Signal::kTraces ? "TRACES" : "LOGS"; }

// A setting read from the signal's own variable, else from the generic one.
struct Setting {
  std::string name;
  std::string value;
};

std::optional<Setting> Pick(const env::Reader& env, Signal s, std::string_view suffix) {
  std::string specific = fmt::format("OTEL_EXPORTER_OTLP_{}_{}", Upper(s), suffix);
  if (auto v = env.String(specific)) return Setting{specific, *v};
  std::string generic = fmt::format("OTEL_EXPORTER_OTLP_{}", suffix);
  if (auto v = env.String(generic)) return Setting{generic, *v};
  return std::nullopt;
}

StatusOr<Protocol> LoadProtocol(const env::Reader& env, Signal s) {
  auto setting = Pick(env, s, "PROTOCOL");
  if (!setting) return Protocol::kGrpc;
  std::string v = Lower(setting->value);
  if (v == "grpc") return Protocol::kGrpc;
  if (v == "http/protobuf") return Protocol::kHttpProtobuf;
  if (v == "http/json") return Protocol::kHttpJson;
  return env::InvalidSetting(setting->name, setting->value, "grpc, http/protobuf or http/json");
}

StatusOr<bool> LoadSwitch(const env::Reader& env, std::string_view name, bool export_enabled) {
  auto v = env.String(name);
  if (!v) return export_enabled;
  std::string lower = Lower(*v);
  if (lower == "otlp") return true;
  if (lower == "none") return false;
  return env::InvalidSetting(name, *v, "otlp or none");
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Status LoadHeaders(const env::Reader& env, SignalConfig* out) {
  auto setting = Pick(env, out->signal, "HEADERS");
  if (!setting) return Status::Ok();
  auto list = ParseKeyValueList(setting->name, setting->value);
  if (!list.ok()) return list.status();
  bool grpc = out->protocol == Protocol::kGrpc;
  for (auto& [name, value] : *list) {
    bool bad_name = !std::all_of(name.begin(), name.end(), IsTokenChar) ||
                    (grpc && Lower(name).starts_with("grpc-"));
    bool bad_value = value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
    if (bad_name || bad_value) {
      return env::InvalidSetting(setting->name, fmt::format("{}={}", name, value),
                                 "header names that are HTTP tokens (not grpc-*) and values "
                                 "without CR, LF or NUL");
    }
    if (grpc) name = Lower(name);  // gRPC metadata keys are lower case
  }
  out->headers = std::move(*list);
  return Status::Ok();
}

Status LoadTransportSettings(const env::Reader& env, SignalConfig* out) {
  if (auto t = Pick(env, out->signal, "TIMEOUT")) {
    auto ms = env.Int(t->name, 1, kMaxMillis);
    if (!ms.ok()) return ms.status();
    out->timeout_ms = **ms;
  }
  if (auto c = Pick(env, out->signal, "COMPRESSION")) {
    std::string v = Lower(c->value);
    if (v != "gzip" && v != "none") return env::InvalidSetting(c->name, c->value, "gzip or none");
    out->compression = v == "gzip" ? Compression::kGzip : Compression::kNone;
  }
  if (auto f = Pick(env, out->signal, "CERTIFICATE")) out->certificate_file = f->value;
  if (auto f = Pick(env, out->signal, "CLIENT_KEY")) out->client_key_file = f->value;
  if (auto f = Pick(env, out->signal, "CLIENT_CERTIFICATE"))
    out->client_certificate_file = f->value;
  if (out->client_key_file.empty() != out->client_certificate_file.empty()) {
    return env::InvalidSetting(fmt::format("OTEL_EXPORTER_OTLP_{}_CLIENT_KEY", Upper(out->signal)),
                               out->client_key_file,
                               "a client key and a client certificate together, or neither");
  }
  return LoadHeaders(env, out);
}

// Certificate files are read when the signal exports; a missing one stops start-up.
Status CheckReadable(Signal s, std::string_view suffix, const std::string& path) {
  if (path.empty()) return Status::Ok();
  std::ifstream file(path);
  if (file.good()) return Status::Ok();
  return env::InvalidSetting(fmt::format("OTEL_EXPORTER_OTLP_[{}_]{}", Upper(s), suffix), path,
                             "a readable PEM file");
}

StatusOr<std::optional<bool>> LoadInsecure(const env::Reader& env, Signal s) {
  auto specific = env.Bool(fmt::format("OTEL_EXPORTER_OTLP_{}_INSECURE", Upper(s)));
  if (!specific.ok() || specific->has_value()) return specific;
  return env.Bool("OTEL_EXPORTER_OTLP_INSECURE");
}

StatusOr<SignalConfig> LoadSignal(const env::Reader& env, Signal s, bool enabled,
                                  Protocol traces_protocol) {
  SignalConfig out;
  out.signal = s;
  out.enabled = enabled;
  auto protocol = LoadProtocol(env, s);
  if (!protocol.ok()) return protocol.status();
  out.protocol = *protocol;
  auto insecure = LoadInsecure(env, s);
  if (!insecure.ok()) return insecure.status();
  std::string generic = env.String("OTEL_EXPORTER_OTLP_ENDPOINT").value_or("");
  std::string specific =
      env.String(fmt::format("OTEL_EXPORTER_OTLP_{}_ENDPOINT", Upper(s))).value_or("");
  std::string traces = env.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").value_or("");
  EndpointInputs in{.signal = s,
                    .protocol = out.protocol,
                    .generic = generic,
                    .specific = specific,
                    .traces_endpoint = traces,
                    .traces_protocol = traces_protocol,
                    .insecure = insecure->value_or(false)};
  if (Status st = ResolveEndpoint(in, &out); !st.ok()) return st;
  if (Status st = LoadTransportSettings(env, &out); !st.ok()) return st;
  if (enabled) {
    for (auto [suffix, path] : {std::pair{"CERTIFICATE", &out.certificate_file},
                                {"CLIENT_KEY", &out.client_key_file},
                                {"CLIENT_CERTIFICATE", &out.client_certificate_file}}) {
      if (Status st = CheckReadable(s, suffix, *path); !st.ok()) return st;
    }
  }
  return out;
}

StatusOr<BatchConfig> LoadBatch(const env::Reader& env, std::string_view prefix) {
  BatchConfig out;
  struct Item {
    std::string_view suffix;
    int64_t min;
    int64_t max;
    int64_t* value;
  };
  for (const Item& item :
       {Item{"MAX_QUEUE_SIZE", 1, kMaxQueueSize, &out.max_queue_size},
        Item{"MAX_EXPORT_BATCH_SIZE", 1, kMaxQueueSize, &out.max_export_batch_size},
        Item{"SCHEDULE_DELAY", 1, kMaxMillis, &out.schedule_delay_ms},
        Item{"EXPORT_TIMEOUT", 1, kMaxMillis, &out.export_timeout_ms}}) {
    auto v = env.Int(fmt::format("{}{}", prefix, item.suffix), item.min, item.max);
    if (!v.ok()) return v.status();
    if (v->has_value()) *item.value = **v;
  }
  if (out.max_export_batch_size > out.max_queue_size) {
    return env::InvalidSetting(
        fmt::format("{}MAX_EXPORT_BATCH_SIZE", prefix), std::to_string(out.max_export_batch_size),
        fmt::format("at most {}MAX_QUEUE_SIZE ({})", prefix, out.max_queue_size));
  }
  return out;
}

// service.name first (OTEL_SERVICE_NAME, else the attribute, else "dynamo"), then the other
// attributes of OTEL_RESOURCE_ATTRIBUTES; a key given twice keeps its last value.
StatusOr<Resource> LoadResource(const env::Reader& env) {
  KeyValueList attributes;
  if (auto text = env.String("OTEL_RESOURCE_ATTRIBUTES")) {
    auto list = ParseKeyValueList("OTEL_RESOURCE_ATTRIBUTES", *text);
    if (!list.ok()) return list.status();
    attributes = std::move(*list);
  }
  std::string service = "dynamo";
  Resource out;
  out.attributes.emplace_back("service.name", "");
  for (auto& attribute : attributes) {
    if (attribute.first == "service.name") {
      service = attribute.second;
      continue;
    }
    auto same = [&](const auto& kv) { return kv.first == attribute.first; };
    auto it = std::find_if(out.attributes.begin(), out.attributes.end(), same);
    if (it != out.attributes.end()) {
      it->second = std::move(attribute.second);
    } else {
      out.attributes.push_back(std::move(attribute));
    }
  }
  if (auto name = env.String("OTEL_SERVICE_NAME")) service = *name;
  out.attributes[0].second = service;
  return out;
}

}  // namespace

std::string_view SignalName(Signal signal) { return signal == Signal::kTraces ? "traces" : "logs"; }

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kGrpc:
      return "grpc";
    case Protocol::kHttpProtobuf:
      return "http/protobuf";
    case Protocol::kHttpJson:
      return "http/json";
  }
  return "";
}

StatusOr<ExportConfig> LoadExportConfig(const env::Reader& env) {
  ExportConfig out;
  auto resource = LoadResource(env);
  if (!resource.ok()) return resource.status();
  out.resource = std::move(*resource);
  out.service_name = std::string(out.resource.service_name());
  auto export_enabled = env.Bool("OTEL_EXPORT_ENABLED");
  if (!export_enabled.ok()) return export_enabled.status();
  bool all = export_enabled->value_or(false);
  auto traces_on = LoadSwitch(env, "OTEL_TRACES_EXPORTER", all);
  if (!traces_on.ok()) return traces_on.status();
  auto logs_on = LoadSwitch(env, "OTEL_LOGS_EXPORTER", all);
  if (!logs_on.ok()) return logs_on.status();
  auto traces = LoadSignal(env, Signal::kTraces, *traces_on, Protocol::kGrpc);
  if (!traces.ok()) return traces.status();
  out.traces = std::move(*traces);
  auto logs = LoadSignal(env, Signal::kLogs, *logs_on, out.traces.protocol);
  if (!logs.ok()) return logs.status();
  out.logs = std::move(*logs);
  auto span_batch = LoadBatch(env, "OTEL_BSP_");
  if (!span_batch.ok()) return span_batch.status();
  out.span_batch = *span_batch;
  auto log_batch = LoadBatch(env, "OTEL_BLRP_");
  if (!log_batch.ok()) return log_batch.status();
  out.log_batch = *log_batch;
  return out;
}

}  // namespace dynobs::otlp
