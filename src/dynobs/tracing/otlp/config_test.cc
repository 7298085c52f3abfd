#include "dynobs/tracing/otlp/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

namespace dynobs::otlp {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

StatusOr<ExportConfig> Load(Vars vars) {
  return LoadExportConfig(env::Reader(env::MapSource(std::move(vars))));
}

ExportConfig LoadOk(Vars vars) {
  auto c = Load(std::move(vars));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : ExportConfig{};
}

std::string LoadError(Vars vars) {
  auto c = Load(std::move(vars));
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

TEST(ConfigTest, Defaults) {
  ExportConfig c = LoadOk({});
  EXPECT_FALSE(c.traces.enabled);
  EXPECT_FALSE(c.logs.enabled);
  EXPECT_EQ(c.service_name, "dynamo");
  ASSERT_EQ(c.resource.attributes.size(), 1u);
  EXPECT_EQ(c.resource.attributes[0],
            (std::pair<std::string, std::string>{"service.name", "dynamo"}));
  for (const SignalConfig* s : {&c.traces, &c.logs}) {
    EXPECT_EQ(s->protocol, Protocol::kGrpc);
    EXPECT_EQ(s->endpoint, "http://localhost:4317");
    EXPECT_EQ(s->grpc_target, "localhost:4317");
    EXPECT_FALSE(s->tls);
    EXPECT_EQ(s->timeout_ms, 10000);
    EXPECT_EQ(s->compression, Compression::kNone);
    EXPECT_TRUE(s->headers.empty());
  }
  for (const BatchConfig* b : {&c.span_batch, &c.log_batch}) {
    EXPECT_EQ(b->max_queue_size, 2048);
    EXPECT_EQ(b->max_export_batch_size, 512);
    EXPECT_EQ(b->schedule_delay_ms, 5000);
    EXPECT_EQ(b->export_timeout_ms, 30000);
  }
}

TEST(ConfigTest, SwitchPrecedence) {
  auto on = [](Vars v) {
    ExportConfig c = LoadOk(std::move(v));
    return std::pair{c.traces.enabled, c.logs.enabled};
  };
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "true"}}), std::pair(true, true));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "YES"}}), std::pair(true, true));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "0"}}), std::pair(false, false));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "1"}, {"OTEL_LOGS_EXPORTER", "none"}}),
            std::pair(true, false));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "1"}, {"OTEL_TRACES_EXPORTER", "none"}}),
            std::pair(false, true));
  EXPECT_EQ(on({{"OTEL_TRACES_EXPORTER", "otlp"}}), std::pair(true, false));
  EXPECT_EQ(on({{"OTEL_LOGS_EXPORTER", "OTLP"}}), std::pair(false, true));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", "false"}, {"OTEL_TRACES_EXPORTER", "otlp"}}),
            std::pair(true, false));
  EXPECT_EQ(on({{"OTEL_EXPORT_ENABLED", ""}, {"OTEL_TRACES_EXPORTER", ""}}),
            std::pair(false, false));  // empty means unset
}

TEST(ConfigTest, InvalidSwitchesNameTheVariable) {
  EXPECT_EQ(LoadError({{"OTEL_EXPORT_ENABLED", "maybe"}}),
            "invalid OTEL_EXPORT_ENABLED=\"maybe\": expected one of 1, true, on, yes, 0, false, "
            "off, no");
  EXPECT_EQ(LoadError({{"OTEL_TRACES_EXPORTER", "console"}}),
            "invalid OTEL_TRACES_EXPORTER=\"console\": expected otlp or none");
  EXPECT_EQ(LoadError({{"OTEL_LOGS_EXPORTER", "otlp,none"}}),
            "invalid OTEL_LOGS_EXPORTER=\"otlp,none\": expected otlp or none");
}

TEST(ConfigTest, ProtocolsGenericAndPerSignal) {
  ExportConfig c = LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}});
  EXPECT_EQ(c.traces.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(c.traces.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(c.logs.endpoint, "http://localhost:4318/v1/logs");
  c = LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
              {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"},
              {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"}});
  EXPECT_EQ(c.traces.protocol, Protocol::kGrpc);
  EXPECT_EQ(c.traces.endpoint, "http://localhost:4317");
  EXPECT_EQ(c.logs.protocol, Protocol::kHttpJson);
  EXPECT_EQ(c.logs.endpoint, "http://localhost:4318/v1/logs");
  EXPECT_EQ(LoadError({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http"}}),
            "invalid OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"http\": expected grpc, http/protobuf or "
            "http/json");
}

TEST(ConfigTest, HttpEndpointPathRules) {
  auto traces = [](std::string generic) {
    return LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                   {"OTEL_EXPORTER_OTLP_ENDPOINT", generic}})
        .traces.endpoint;
  };
  EXPECT_EQ(traces("http://c:4318"), "http://c:4318/v1/traces");
  EXPECT_EQ(traces("http://c:4318/"), "http://c:4318/v1/traces");
  EXPECT_EQ(traces("https://c/base"), "https://c/base/v1/traces");
  ExportConfig c = LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                           {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                           {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://l:9/custom?x=1"}});
  EXPECT_EQ(c.logs.endpoint, "https://l:9/custom?x=1");  // used as given
  EXPECT_TRUE(c.logs.tls);
  EXPECT_FALSE(c.traces.tls);
  EXPECT_EQ(c.traces.endpoint, "http://c:4318/v1/traces");
  for (const char* bad : {"c:4318", "ftp://c", "http://", "http://u:p@c:4318", "http://c:0",
                          "http://c:99999", "http://c/#frag"}) {
    EXPECT_NE(LoadError({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                         {"OTEL_EXPORTER_OTLP_ENDPOINT", bad}})
                  .find("invalid OTEL_EXPORTER_OTLP_ENDPOINT=\""),
              std::string::npos)
        << bad;
  }
}

TEST(ConfigTest, GrpcEndpoints) {
  auto traces = [](Vars v) { return LoadOk(std::move(v)).traces; };
  SignalConfig s = traces({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"}});
  EXPECT_EQ(s.grpc_target, "c:4317");
  EXPECT_FALSE(s.tls);
  s = traces({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://c.example"}});
  EXPECT_EQ(s.grpc_target, "c.example:443");
  EXPECT_TRUE(s.tls);
  s = traces({{"OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317"}});
  EXPECT_TRUE(s.tls);  // no scheme: secure unless OTEL_EXPORTER_OTLP_INSECURE
  s = traces({{"OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317"}, {"OTEL_EXPORTER_OTLP_INSECURE", "true"}});
  EXPECT_FALSE(s.tls);
  EXPECT_EQ(s.endpoint, "http://c:4317");
  s = traces({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4317/"}});
  EXPECT_EQ(s.grpc_target, "[::1]:4317");
  EXPECT_NE(LoadError({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4317/v1/traces"}})
                .find("invalid OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"http://c:4317/v1/traces\""),
            std::string::npos);
  EXPECT_NE(LoadError({{"OTEL_EXPORTER_OTLP_ENDPOINT", "c"}}).find("OTEL_EXPORTER_OTLP_ENDPOINT"),
            std::string::npos);  // a bare host needs a port
  EXPECT_NE(
      LoadError({{"OTEL_EXPORTER_OTLP_INSECURE", "sure"}}).find("OTEL_EXPORTER_OTLP_INSECURE"),
      std::string::npos);
}

TEST(ConfigTest, LogsFollowTheTracesEndpointAsInDynamo) {
  ExportConfig c = LoadOk({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"}});
  EXPECT_EQ(c.logs.grpc_target, "tempo:4317");
  c = LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
              {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"}});
  EXPECT_EQ(c.logs.endpoint, "http://c:4318/v1/logs");
  c = LoadOk({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
              {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/otlp/spans"}});
  EXPECT_EQ(c.logs.endpoint, "http://c:4318/v1/logs");
  // The generic endpoint, the logs' own endpoint and a different protocol all win over the rule.
  c = LoadOk({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"},
              {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://g:4317"}});
  EXPECT_EQ(c.logs.grpc_target, "g:4317");
  c = LoadOk({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"},
              {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://loki:4317"}});
  EXPECT_EQ(c.logs.grpc_target, "loki:4317");
  c = LoadOk({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"},
              {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"}});
  EXPECT_EQ(c.logs.endpoint, "http://localhost:4318/v1/logs");
}

TEST(ConfigTest, Headers) {
  ExportConfig c = LoadOk({{"OTEL_EXPORTER_OTLP_HEADERS", "Api-Key=a%2Cb, X-Tenant = t1 ,,"},
                           {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "only=logs"},
                           {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"}});
  KeyValueList traces{{"api-key", "a,b"}, {"x-tenant", "t1"}};  // gRPC: lower-cased
  EXPECT_EQ(c.traces.headers, traces);
  KeyValueList logs{{"only", "logs"}};  // the signal's own list replaces the generic one
  EXPECT_EQ(c.logs.headers, logs);
  for (const char* bad : {"novalue", "a b=1", "=v", "k=%zz", "grpc-timeout=1", "k=%0d%0a"}) {
    EXPECT_NE(LoadError({{"OTEL_EXPORTER_OTLP_HEADERS", bad}})
                  .find("invalid OTEL_EXPORTER_OTLP_HEADERS="),
              std::string::npos)
        << bad;
  }
}

TEST(ConfigTest, TimeoutAndCompression) {
  ExportConfig c = LoadOk({{"OTEL_EXPORTER_OTLP_TIMEOUT", "500"},
                           {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "700"},
                           {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                           {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"}});
  EXPECT_EQ(c.traces.timeout_ms, 500);
  EXPECT_EQ(c.logs.timeout_ms, 700);
  EXPECT_EQ(c.traces.compression, Compression::kNone);
  EXPECT_EQ(c.logs.compression, Compression::kGzip);
  EXPECT_EQ(LoadError({{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}}),
            "invalid OTEL_EXPORTER_OTLP_TIMEOUT=\"0\": expected an integer in 1..3600000");
  EXPECT_EQ(LoadError({{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"}}),
            "invalid OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=\"10s\": expected an integer in 1..3600000");
  EXPECT_EQ(LoadError({{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}}),
            "invalid OTEL_EXPORTER_OTLP_COMPRESSION=\"zstd\": expected gzip or none");
}

TEST(ConfigTest, CertificatesAreCheckedWhenTheSignalExports) {
  Vars vars{{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}};
  EXPECT_TRUE(Load(vars).ok());  // export off: only the syntax matters
  vars["OTEL_TRACES_EXPORTER"] = "otlp";
  EXPECT_EQ(LoadError(vars),
            "invalid OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE=\"/nonexistent/ca.pem\": expected a "
            "readable PEM file");
  EXPECT_NE(LoadError({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", "/k.pem"}}).find("CLIENT_KEY"),
            std::string::npos);
  char path[] = "/tmp/otlp_ca_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ExportConfig c =
      LoadOk({{"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", path}, {"OTEL_LOGS_EXPORTER", "otlp"}});
  EXPECT_EQ(c.logs.certificate_file, path);
  EXPECT_EQ(c.traces.certificate_file, "");
  std::remove(path);
}

TEST(ConfigTest, BatchSettings) {
  ExportConfig c = LoadOk({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                           {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
                           {"OTEL_BSP_SCHEDULE_DELAY", "20"},
                           {"OTEL_BSP_EXPORT_TIMEOUT", "30"},
                           {"OTEL_BLRP_MAX_QUEUE_SIZE", "4096"}});
  EXPECT_EQ(c.span_batch.max_queue_size, 100);
  EXPECT_EQ(c.span_batch.max_export_batch_size, 10);
  EXPECT_EQ(c.span_batch.schedule_delay_ms, 20);
  EXPECT_EQ(c.span_batch.export_timeout_ms, 30);
  EXPECT_EQ(c.log_batch.max_queue_size, 4096);
  EXPECT_EQ(c.log_batch.max_export_batch_size, 512);
  EXPECT_EQ(LoadError({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}}),
            "invalid OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"512\": expected at most "
            "OTEL_BSP_MAX_QUEUE_SIZE (100)");
  EXPECT_EQ(LoadError({{"OTEL_BLRP_SCHEDULE_DELAY", "-1"}}),
            "invalid OTEL_BLRP_SCHEDULE_DELAY=\"-1\": expected an integer in 1..3600000");
  EXPECT_EQ(LoadError({{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}}),
            "invalid OTEL_BSP_MAX_QUEUE_SIZE=\"0\": expected an integer in 1..1048576");
}

TEST(ConfigTest, Resource) {
  ExportConfig c = LoadOk({{"OTEL_RESOURCE_ATTRIBUTES",
                            "deployment.environment=prod,service.name=from-attrs,k=a%3Db%2C%20c"}});
  EXPECT_EQ(c.service_name, "from-attrs");
  KeyValueList expected{
      {"service.name", "from-attrs"}, {"deployment.environment", "prod"}, {"k", "a=b, c"}};
  EXPECT_EQ(c.resource.attributes, expected);
  c = LoadOk({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=x,a=1,a=2"},
              {"OTEL_SERVICE_NAME", "dynamo-frontend"}});
  KeyValueList named{{"service.name", "dynamo-frontend"}, {"a", "2"}};
  EXPECT_EQ(c.resource.attributes, named);
  EXPECT_EQ(LoadError({{"OTEL_RESOURCE_ATTRIBUTES", "a=1,b"}}),
            "invalid OTEL_RESOURCE_ATTRIBUTES=\"b\": expected a comma-separated list of key=value "
            "pairs (percent-encoded, e.g. a=1,b=x%2Cy)");
  EXPECT_NE(LoadError({{"OTEL_RESOURCE_ATTRIBUTES", "a=%e9"}}).find("OTEL_RESOURCE_ATTRIBUTES"),
            std::string::npos);  // decodes to invalid UTF-8
}

}  // namespace
}  // namespace dynobs::otlp
