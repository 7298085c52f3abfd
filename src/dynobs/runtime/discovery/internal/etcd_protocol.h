#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "dynobs/common/status.h"
#include "dynobs/runtime/discovery/instance.h"

// Requests and responses of etcd v3's JSON gateway (grpc-gateway): keys and values are base64,
// int64s are strings, fields at their default value are left out.
namespace dynobs::runtime::discovery_internal {

[[nodiscard]] std::string Base64Encode(std::string_view bytes);
// nullopt for text that is not padded standard base64.
[[nodiscard]] std::optional<std::string> Base64Decode(std::string_view text);

// The smallest key greater than every key that starts with `prefix` (etcd's range_end).
[[nodiscard]] std::string PrefixEnd(std::string_view prefix);

// The etcd key of an instance: `prefix` + "<namespace>/<component>/<endpoint>/<id hex>".
[[nodiscard]] std::string InstanceKey(std::string_view prefix, const Instance& instance);
// The key prefix of an endpoint's instances: `prefix` + "<namespace>/<component>/<endpoint>/".
[[nodiscard]] std::string EndpointPrefix(std::string_view prefix, const EndpointPath& path);

[[nodiscard]] boost::json::object RangeRequest(std::string_view key_prefix);
[[nodiscard]] boost::json::object PutRequest(std::string_view key, std::string_view value,
                                             int64_t lease);
[[nodiscard]] boost::json::object DeleteRequest(std::string_view key);
[[nodiscard]] boost::json::object LeaseRequest(int64_t lease);  // keepalive, revoke
[[nodiscard]] boost::json::object WatchRequest(std::string_view key_prefix, int64_t start_revision);

// An int64 field written as a string (or, leniently, a number); 0 when absent.
[[nodiscard]] StatusOr<int64_t> Int64Field(const boost::json::object& object, std::string_view key);
// A nested object, or nullptr when absent or not an object.
[[nodiscard]] const boost::json::object* ObjectField(const boost::json::object& object,
                                                     std::string_view key);

struct KeyValue {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
};

// The decoded "kvs" of a range response, and its header's revision.
struct RangeResult {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;
};
[[nodiscard]] StatusOr<RangeResult> ParseRange(const boost::json::object& response);

// One event of a watch response: a put (with the new value) or a delete.
struct WatchEvent {
  bool is_delete = false;
  KeyValue kv;
};
[[nodiscard]] StatusOr<std::vector<WatchEvent>> ParseWatchEvents(const boost::json::object& result);

// The instance stored under `kv.key`, checked against its key (`prefix` + Instance::Key()).
[[nodiscard]] StatusOr<Instance> DecodeInstance(std::string_view prefix, const KeyValue& kv);

}  // namespace dynobs::runtime::discovery_internal
