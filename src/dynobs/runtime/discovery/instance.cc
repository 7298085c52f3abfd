#include "dynobs/runtime/discovery/instance.h"

#include <unistd.h>

#include <array>
#include <limits>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "dynobs/common/ids.h"

namespace dynobs::runtime {
namespace {

namespace json = boost::json;

constexpr size_t kMaxSegment = 128;
constexpr size_t kMaxText = 255;

bool IsSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

Status ValidateSegment(std::string_view what, std::string_view v) {
  bool ok = !v.empty() && v.size() <= kMaxSegment && v.front() != '.';
  for (char c : v) ok = ok && IsSegmentChar(c);
  if (ok) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "invalid {} \"{}\": expected 1-128 characters of [A-Za-z0-9_.-], not starting with '.'", what,
      v));
}

bool IsPrintableWord(std::string_view v) {
  for (char c : v) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

// Reads optional typed members; a member of the wrong type is an error, a missing one is not.
class Members {
 public:
  explicit Members(const json::object& o) : o_(o) {}

  bool String(std::string_view key, std::string& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) return false;
    if (!v->is_string()) return Fail(key, "a string");
    out.assign(v->as_string().data(), v->as_string().size());
    return true;
  }
  template <typename T>
  bool Integer(std::string_view key, T& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) return false;
    if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      out = static_cast<T>(v->as_uint64());
      return true;
    }
    if (v->is_int64() && v->as_int64() >= 0 &&
        static_cast<uint64_t>(v->as_int64()) <=
            static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      out = static_cast<T>(v->as_int64());
      return true;
    }
    return Fail(key, "a non-negative integer in range");
  }
  const json::object* Object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      Fail(key, "an object");
      return nullptr;
    }
    return &v->as_object();
  }
  Status Require(std::string_view key) {
    if (!error_.ok() || o_.contains(key)) return error_;
    return InvalidArgumentError(fmt::format("instance record: missing \"{}\"", key));
  }
  [[nodiscard]] const Status& error() const { return error_; }

 private:
  bool Fail(std::string_view key, std::string_view expected) {
    if (error_.ok()) {
      error_ =
          InvalidArgumentError(fmt::format("instance record: \"{}\" must be {}", key, expected));
    }
    return false;
  }

  const json::object& o_;
  Status error_;
};

Status ReadModel(const json::object& o, ModelInfo& m) {
  Members r(o);
  r.String("name", m.name);
  r.Integer("context_length", m.context_length);
  r.Integer("kv_block_size", m.kv_block_size);
  r.Integer("total_kv_blocks", m.total_kv_blocks);
  r.Integer("max_num_seqs", m.max_num_seqs);
  r.Integer("max_num_batched_tokens", m.max_num_batched_tokens);
  r.Integer("migration_limit", m.migration_limit);
  return r.Require("name");
}

Status ReadInstance(const json::object& o, Instance& inst) {
  Members r(o);
  r.String("namespace", inst.path.namespace_name);
  r.String("component", inst.path.component);
  r.String("endpoint", inst.path.endpoint);
  r.Integer("instance_id", inst.instance_id);
  r.Integer("pid", inst.pid);
  r.String("hostname", inst.hostname);
  if (const json::object* t = r.Object("transport")) {
    Members tr(*t);
    tr.String("tcp", inst.address);
    if (Status s = tr.Require("tcp"); !s.ok()) return s;
  }
  if (const json::object* m = r.Object("model")) {
    inst.model.emplace();
    if (Status s = ReadModel(*m, *inst.model); !s.ok()) return s;
  }
  for (std::string_view key : {"namespace", "component", "endpoint", "instance_id", "transport"}) {
    if (Status s = r.Require(key); !s.ok()) return s;
  }
  return r.error();
}

json::object ModelJson(const ModelInfo& m) {
  json::object o;
  o["context_length"] = m.context_length;
  o["kv_block_size"] = m.kv_block_size;
  o["max_num_batched_tokens"] = m.max_num_batched_tokens;
  o["max_num_seqs"] = m.max_num_seqs;
  o["migration_limit"] = m.migration_limit;
  o["name"] = m.name;
  o["total_kv_blocks"] = m.total_kv_blocks;
  return o;
}

}  // namespace

std::string EndpointPath::ToString() const {
  return fmt::format("{}/{}/{}", namespace_name, component, endpoint);
}

Status EndpointPath::Validate() const {
  if (Status s = ValidateSegment("namespace", namespace_name); !s.ok()) return s;
  if (Status s = ValidateSegment("component", component); !s.ok()) return s;
  return ValidateSegment("endpoint", endpoint);
}

std::string Instance::ToJson() const {
  // boost::json::object keeps insertion order: insert in sorted key order.
  json::object o;
  o["component"] = path.component;
  o["endpoint"] = path.endpoint;
  o["hostname"] = hostname;
  o["instance_id"] = instance_id;
  if (model) o["model"] = ModelJson(*model);
  o["namespace"] = path.namespace_name;
  o["pid"] = pid;
  o["transport"] = json::object{{"tcp", address}};
  return json::serialize(o);
}

StatusOr<Instance> Instance::FromJson(std::string_view text) {
  if (text.size() > kMaxRecordBytes) {
    return InvalidArgumentError(fmt::format("instance record: {} bytes, more than the {} allowed",
                                            text.size(), kMaxRecordBytes));
  }
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return InvalidArgumentError("instance record: not JSON (" + ec.message() + ")");
  if (!v.is_object()) return InvalidArgumentError("instance record: not a JSON object");
  Instance inst;
  if (Status s = ReadInstance(v.as_object(), inst); !s.ok()) return s;
  if (Status s = inst.Validate(); !s.ok()) return s;
  return inst;
}

Status Instance::Validate() const {
  if (Status s = path.Validate(); !s.ok()) return s;
  if (instance_id == 0) return InvalidArgumentError("invalid instance_id 0: expected non-zero");
  if (address.empty() || address.size() > kMaxText || !IsPrintableWord(address)) {
    return InvalidArgumentError(fmt::format(
        "invalid address \"{}\": expected 1-255 printable characters without spaces", address));
  }
  if (hostname.size() > kMaxText || !IsPrintableWord(hostname)) {
    return InvalidArgumentError(fmt::format("invalid hostname \"{}\"", hostname));
  }
  if (pid < 0) return InvalidArgumentError(fmt::format("invalid pid {}", pid));
  return Status::Ok();
}

std::string Instance::Key() const { return path.ToString() + "/" + HexId(instance_id); }

void FillProcessIdentity(Instance& instance) {
  if (instance.pid == 0) instance.pid = ::getpid();
  if (instance.hostname.empty()) {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) == 0) instance.hostname = buf.data();
  }
}

}  // namespace dynobs::runtime
