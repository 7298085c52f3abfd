#include "dynobs/llm/protocol/engine_protocol.h"

#include <iterator>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "dynobs/common/json_escape.h"

namespace dynobs::llm {
namespace {

namespace json = boost::json;

constexpr size_t kMaxStops = 16;
constexpr size_t kMaxStopBytes = 256;
constexpr uint64_t kMaxOutputTokens = 1'000'000;

Status Invalid(std::string_view what) {
  return InvalidArgumentError(fmt::format("invalid engine request: {}", what));
}

Status ReadTokens(const json::value& v, size_t max, std::vector<uint32_t>& out) {
  if (!v.is_array()) return Invalid("token_ids must be an array of integers");
  const json::array& a = v.as_array();
  if (a.size() > max) {
    return Invalid(fmt::format("{} token ids, at most {} accepted", a.size(), max));
  }
  out.reserve(a.size());
  for (const json::value& t : a) {
    if (!t.is_int64() && !t.is_uint64()) return Invalid("token_ids must be integers");
    int64_t id = t.is_int64() ? t.as_int64() : static_cast<int64_t>(t.as_uint64());
    if (id < 0 || id > UINT32_MAX) return Invalid("token id out of range");
    out.push_back(static_cast<uint32_t>(id));
  }
  return Status::Ok();
}

Status ReadStopConditions(const json::object& sc, EngineRequest& r) {
  if (const json::value* mt = sc.if_contains("max_tokens"); mt && !mt->is_null()) {
    if (!mt->is_int64() || mt->as_int64() < 1 ||
        static_cast<uint64_t>(mt->as_int64()) > kMaxOutputTokens) {
      return Invalid("stop_conditions.max_tokens must be an integer in 1..1000000");
    }
    r.max_tokens = static_cast<uint32_t>(mt->as_int64());
  }
  if (const json::value* stop = sc.if_contains("stop"); stop && !stop->is_null()) {
    if (!stop->is_array() || stop->as_array().size() > kMaxStops) {
      return Invalid("stop_conditions.stop must be an array of at most 16 strings");
    }
    for (const json::value& s : stop->as_array()) {
      if (!s.is_string() || s.as_string().size() > kMaxStopBytes) {
        return Invalid("stop strings must be strings of at most 256 bytes");
      }
      r.stop.emplace_back(s.as_string());
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EngineRequest::ToJson() const {
  json::object o;
  o["token_ids"] = json::value_from(token_ids);
  o["model"] = model;
  o["sampling_options"] = {{"temperature", temperature}};
  json::object sc;
  sc["max_tokens"] = max_tokens;
  sc["stop"] = json::value_from(stop);
  sc["ignore_eos"] = false;
  o["stop_conditions"] = std::move(sc);
  if (health_check) o["_health_check"] = true;
  return json::serialize(o);
}

StatusOr<EngineRequest> EngineRequest::FromJson(std::string_view text, size_t max_prompt_tokens) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Invalid(fmt::format("not JSON ({})", ec.message()));
  if (!v.is_object()) return Invalid("not a JSON object");
  const json::object& o = v.as_object();
  EngineRequest r;
  const json::value* tokens = o.if_contains("token_ids");
  if (tokens == nullptr) return Invalid("token_ids is missing");
  if (Status s = ReadTokens(*tokens, max_prompt_tokens, r.token_ids); !s.ok()) return s;
  if (const json::value* m = o.if_contains("model"); m && m->is_string()) {
    r.model = std::string(m->as_string());
  }
  if (const json::value* sc = o.if_contains("stop_conditions"); sc && sc->is_object()) {
    if (Status s = ReadStopConditions(sc->as_object(), r); !s.ok()) return s;
  }
  if (const json::value* so = o.if_contains("sampling_options"); so && so->is_object()) {
    if (const json::value* t = so->as_object().if_contains("temperature"); t && t->is_number()) {
      r.temperature = t->to_number<double>();
    }
  }
  if (const json::value* hc = o.if_contains("_health_check"); hc && hc->is_bool()) {
    r.health_check = hc->as_bool();
  }
  return r;
}

// Written directly, not through json::object: one of these goes out per token, on the hot path
// of every stream (a third of the cost of boost::json's object and serializer).
std::string EngineOutput::ToJson() const {
  std::string out;
  out.reserve(64 + token_ids.size() * 11 + text.size() + finish_reason.size());
  out += R"({"token_ids":[)";
  for (size_t i = 0; i < token_ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    fmt::format_to(std::back_inserter(out), "{}", token_ids[i]);
  }
  out += R"(],"text":)";
  AppendJsonString(out, text);
  out += R"(,"finish_reason":)";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, finish_reason);
  }
  if (cached_tokens)
    fmt::format_to(std::back_inserter(out), R"(,"cached_tokens":{})", *cached_tokens);
  out.push_back('}');
  return out;
}

}  // namespace dynobs::llm
