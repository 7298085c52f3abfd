#include "dynobs/runtime/discovery/internal/etcd_protocol.h"

#include <array>
#include <charconv>

#include <boost/json/value.hpp>

namespace dynobs::runtime::discovery_internal {
namespace {

namespace json = boost::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  size_t pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

StatusOr<KeyValue> ParseKeyValue(const json::object& kv) {
  KeyValue out;
  const json::value* key = kv.if_contains("key");
  const json::value* value = kv.if_contains("value");
  if (key == nullptr || !key->is_string()) return InvalidArgumentError("etcd kv without a key");
  auto decoded_key = Base64Decode(key->as_string());
  std::optional<std::string> decoded_value = std::string();
  if (value != nullptr) {
    decoded_value = value->is_string() ? Base64Decode(value->as_string()) : std::nullopt;
  }
  if (!decoded_key || !decoded_value) return InvalidArgumentError("etcd kv: bad base64");
  out.key = std::move(*decoded_key);
  out.value = std::move(*decoded_value);
  auto rev = Int64Field(kv, "mod_revision");
  if (!rev.ok()) return rev.status();
  out.mod_revision = *rev;
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    std::array<int, 4> v{};
    size_t pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      bool last_group = i + 4 == text.size();
      if (c == '=' && last_group && j >= 2 && (j == 3 || text[i + 3] == '=')) {
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string InstanceKey(std::string_view prefix, const Instance& instance) {
  return std::string(prefix) + instance.Key();
}

std::string EndpointPrefix(std::string_view prefix, const EndpointPath& path) {
  return std::string(prefix) + path.ToString() + "/";
}

json::object RangeRequest(std::string_view key_prefix) {
  return {{"key", Base64Encode(key_prefix)}, {"range_end", Base64Encode(PrefixEnd(key_prefix))}};
}

json::object PutRequest(std::string_view key, std::string_view value, int64_t lease) {
  return {
      {"key", Base64Encode(key)}, {"value", Base64Encode(value)}, {"lease", std::to_string(lease)}};
}

json::object DeleteRequest(std::string_view key) { return {{"key", Base64Encode(key)}}; }

json::object LeaseRequest(int64_t lease) { return {{"ID", std::to_string(lease)}}; }

json::object WatchRequest(std::string_view key_prefix, int64_t start_revision) {
  json::object create = RangeRequest(key_prefix);
  create["start_revision"] = std::to_string(start_revision);
  return {{"create_request", std::move(create)}};
}

StatusOr<int64_t> Int64Field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return int64_t{0};
  if (v->is_int64()) return v->as_int64();
  if (v->is_string()) {
    std::string_view s = v->as_string();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size()) return out;
  }
  return InvalidArgumentError("etcd response: \"" + std::string(key) + "\" is not an int64");
}

const json::object* ObjectField(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

StatusOr<RangeResult> ParseRange(const json::object& response) {
  RangeResult out;
  const json::object* header = ObjectField(response, "header");
  if (header == nullptr) return InvalidArgumentError("etcd range response without a header");
  auto revision = Int64Field(*header, "revision");
  if (!revision.ok()) return revision.status();
  out.revision = *revision;
  const json::value* kvs = response.if_contains("kvs");
  if (kvs == nullptr) return out;
  if (!kvs->is_array()) return InvalidArgumentError("etcd range response: kvs is not a list");
  for (const json::value& item : kvs->as_array()) {
    if (!item.is_object()) return InvalidArgumentError("etcd range response: bad kv");
    auto kv = ParseKeyValue(item.as_object());
    if (!kv.ok()) return kv.status();
    out.kvs.push_back(std::move(*kv));
  }
  return out;
}

StatusOr<std::vector<WatchEvent>> ParseWatchEvents(const json::object& result) {
  std::vector<WatchEvent> out;
  const json::value* events = result.if_contains("events");
  if (events == nullptr) return out;
  if (!events->is_array()) return InvalidArgumentError("etcd watch response: events not a list");
  for (const json::value& item : events->as_array()) {
    const json::object* kv = item.is_object() ? ObjectField(item.as_object(), "kv") : nullptr;
    if (kv == nullptr) return InvalidArgumentError("etcd watch response: event without kv");
    auto parsed = ParseKeyValue(*kv);
    if (!parsed.ok()) return parsed.status();
    const json::value* type = item.as_object().if_contains("type");
    bool is_delete = type != nullptr && type->is_string() && type->as_string() == "DELETE";
    out.push_back({is_delete, std::move(*parsed)});
  }
  return out;
}

StatusOr<Instance> DecodeInstance(std::string_view prefix, const KeyValue& kv) {
  auto instance = Instance::FromJson(kv.value);
  if (!instance.ok()) return instance.status();
  if (kv.key != InstanceKey(prefix, *instance)) {
    return InvalidArgumentError("the record is for " + instance->Key() + ", not for its key");
  }
  return instance;
}

}  // namespace dynobs::runtime::discovery_internal
