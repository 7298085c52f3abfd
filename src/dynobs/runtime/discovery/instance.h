#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs::runtime {

// Namespace, component and endpoint: what callers look instances up by. Each part is 1 to 128
// characters of [A-Za-z0-9_.-] and does not start with '.', so that it is safe as a file name
// (file backend) and as a key segment (etcd backend).
struct EndpointPath {
  std::string namespace_name;
  std::string component;
  std::string endpoint;
  // "namespace/component/endpoint"
  [[nodiscard]] std::string ToString() const;
  // InvalidArgument naming the first bad part, or OK.
  [[nodiscard]] Status Validate() const;
  friend bool operator==(const EndpointPath&, const EndpointPath&) = default;
};

// What the frontend needs to know about the model an instance serves (the dynamo_frontend_model_*
// gauges read these).
struct ModelInfo {
  std::string name;
  uint32_t context_length = 0;
  uint32_t kv_block_size = 0;
  uint64_t total_kv_blocks = 0;
  uint32_t max_num_seqs = 0;
  uint32_t max_num_batched_tokens = 0;
  uint32_t migration_limit = 0;
  friend bool operator==(const ModelInfo&, const ModelInfo&) = default;
};

// One serving instance of an endpoint, as discovery records it. A value type.
struct Instance {
  // Largest record ToJson may produce and FromJson accepts; backends refuse bigger ones.
  static constexpr size_t kMaxRecordBytes = 64 * 1024;

  EndpointPath path;
  uint64_t instance_id = 0;  // non-zero
  std::string address;       // request plane: "host:port"
  std::optional<ModelInfo> model;
  int64_t pid = 0;       // for stale-record detection by the file backend; Register fills it if 0
  std::string hostname;  // Register fills it if empty

  // The JSON record, keys sorted, in the shape of Dynamo's instance JSON plus dynobs's fields:
  // {"component","endpoint","hostname","instance_id":<u64 number>,"model"?:{...},"namespace",
  //  "pid","transport":{"tcp":"<address>"}} (docs/discovery.md).
  [[nodiscard]] std::string ToJson() const;
  // Parses and validates a record. Unknown keys are ignored (newer writers); missing required
  // keys, wrong types, out-of-range numbers and invalid paths are InvalidArgument.
  static StatusOr<Instance> FromJson(std::string_view json);
  // What Register checks: a valid path, a non-zero id, an address of 1-255 printable characters
  // without spaces.
  [[nodiscard]] Status Validate() const;
  // "namespace/component/endpoint/<instance id in lowercase hex>": the record's key.
  [[nodiscard]] std::string Key() const;
  friend bool operator==(const Instance&, const Instance&) = default;
};

// Fills pid and hostname with this process's when they are unset.
void FillProcessIdentity(Instance& instance);

}  // namespace dynobs::runtime
