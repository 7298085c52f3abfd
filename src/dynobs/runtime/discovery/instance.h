#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dynobs/common/status.h"

namespace dynobs::runtime {

// Namespace, component and endpoint: what callers look instances up by.
struct EndpointPath {
  std::string namespace_name;
  std::string component;
  std::string endpoint;
  // "namespace/component/endpoint"
  [[nodiscard]] std::string ToString() const;
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

// One serving instance of an endpoint, as discovery records it.
struct Instance {
  EndpointPath path;
  uint64_t instance_id = 0;
  std::string address;  // request plane: "host:port"
  std::optional<ModelInfo> model;
  int64_t pid = 0;  // for stale-record detection by the file backend
  std::string hostname;

  // The JSON record (keys sorted; instance_id as a decimal number; see docs/discovery.md).
  [[nodiscard]] std::string ToJson() const;
  static StatusOr<Instance> FromJson(std::string_view json);
  // "namespace/component/endpoint/<instance id in lowercase hex>": the record's key.
  [[nodiscard]] std::string Key() const;
  friend bool operator==(const Instance&, const Instance&) = default;
};

}  // namespace dynobs::runtime
