#include "dynobs/llm/frontend/openai_request.h"

#include <array>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace dynobs::llm::frontend {
namespace {

namespace json = boost::json;

// Parsing state: the limits, the running totals they bound, and where a failure's `param` goes.
struct Context {
  const RequestLimits& limits;
  std::string* error_param;
  size_t content_bytes = 0;
  size_t content_parts = 0;

  Status Fail(std::string_view param, std::string message) const {
    if (error_param != nullptr) error_param->assign(param);
    return InvalidArgumentError(std::move(message));
  }
};

std::string_view KindOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

Status WrongType(const Context& c, std::string_view param, std::string_view expected,
                 const json::value& got) {
  return c.Fail(param, fmt::format("'{}' must be {}, got {}", param, expected, KindOf(got)));
}

// The field, or nullptr when it is absent or null (OpenAI treats both as "not given").
const json::value* Given(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

StatusOr<json::value> ParseObject(std::string_view body, json::storage_ptr storage,
                                  const Context& c) {
  json::error_code ec;
  json::value v = json::parse(body, ec, std::move(storage));
  if (ec) return c.Fail("", fmt::format("the request body is not valid JSON ({})", ec.message()));
  if (!v.is_object()) return c.Fail("", "the request body must be a JSON object");
  return v;
}

Status ReadModel(const Context& c, const json::object& o, std::string& out) {
  const json::value* v = Given(o, "model");
  if (v == nullptr) return c.Fail("model", "'model' is required");
  if (!v->is_string()) return WrongType(c, "model", "a string", *v);
  if (v->as_string().empty()) return c.Fail("model", "'model' must not be empty");
  out.assign(v->as_string());
  return Status::Ok();
}

Status ReadBool(const Context& c, const json::value* v, std::string_view param, bool& out) {
  if (v == nullptr) return Status::Ok();
  if (!v->is_bool()) return WrongType(c, param, "a boolean", *v);
  out = v->as_bool();
  return Status::Ok();
}

Status ReadMaxTokens(const Context& c, const json::object& o, std::string_view key,
                     std::optional<uint32_t>& out) {
  const json::value* v = Given(o, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_int64() && !v->is_uint64()) return WrongType(c, key, "an integer", *v);
  const uint32_t hi = c.limits.max_output_tokens;
  if (v->is_uint64() || v->as_int64() < 1 || v->as_int64() > hi) {
    return c.Fail(key, fmt::format("'{}' must be an integer between 1 and {}, got {}", key, hi,
                                   json::serialize(*v)));
  }
  out = static_cast<uint32_t>(v->as_int64());
  return Status::Ok();
}

// A number in [lo, hi], or in (lo, hi] when `lo_open`.
Status ReadNumber(const Context& c, const json::object& o, std::string_view key, double lo,
                  double hi, bool lo_open, std::optional<double>& out) {
  const json::value* v = Given(o, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return WrongType(c, key, "a number", *v);
  double x = v->to_number<double>();
  if ((lo_open ? x <= lo : x < lo) || x > hi) {
    return c.Fail(
        key,
        lo_open ? fmt::format("'{}' must be greater than {} and at most {}, got {}", key, lo, hi, x)
                : fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, x));
  }
  out = x;
  return Status::Ok();
}

Status ReadN(const Context& c, const json::object& o) {
  const json::value* v = Given(o, "n");
  if (v == nullptr) return Status::Ok();
  if (!v->is_int64() && !v->is_uint64()) return WrongType(c, "n", "an integer", *v);
  if (v->is_int64() && v->as_int64() == 1) return Status::Ok();
  return c.Fail("n", fmt::format("'n' must be 1: only one choice per request is supported, got {}",
                                 json::serialize(*v)));
}

Status ReadStopString(const Context& c, const json::value& v, std::string_view param,
                      std::vector<std::string>& out) {
  if (!v.is_string()) return WrongType(c, param, "a string", v);
  const json::string& s = v.as_string();
  if (s.empty()) return c.Fail(param, fmt::format("'{}' must not be empty", param));
  if (s.size() > c.limits.max_stop_bytes) {
    return c.Fail(param, fmt::format("'{}' is {} bytes long, at most {} accepted", param, s.size(),
                                     c.limits.max_stop_bytes));
  }
  out.emplace_back(s);
  return Status::Ok();
}

Status ReadStop(const Context& c, const json::object& o, std::vector<std::string>& out) {
  const json::value* v = Given(o, "stop");
  if (v == nullptr) return Status::Ok();
  if (v->is_string()) return ReadStopString(c, *v, "stop", out);
  if (!v->is_array()) return WrongType(c, "stop", "a string or an array of strings", *v);
  const json::array& a = v->as_array();
  if (a.size() > c.limits.max_stop) {
    return c.Fail("stop", fmt::format("'stop' has {} entries, at most {} accepted", a.size(),
                                      c.limits.max_stop));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (Status s = ReadStopString(c, a[i], fmt::format("stop[{}]", i), out); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadSeed(const Context& c, const json::object& o, std::optional<int64_t>& out) {
  const json::value* v = Given(o, "seed");
  if (v == nullptr) return Status::Ok();
  if (v->is_uint64()) {
    return c.Fail("seed", fmt::format("'seed' must be an integer between {} and {}",
                                      std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::max()));
  }
  if (!v->is_int64()) return WrongType(c, "seed", "an integer", *v);
  out = v->as_int64();
  return Status::Ok();
}

Status ReadStreamOptions(const Context& c, const json::object& o, GenerationParams& p) {
  if (Status s = ReadBool(c, Given(o, "stream"), "stream", p.stream); !s.ok()) return s;
  const json::value* v = Given(o, "stream_options");
  if (v == nullptr) return Status::Ok();
  if (!v->is_object()) return WrongType(c, "stream_options", "an object", *v);
  bool include_usage = false;
  if (Status s = ReadBool(c, Given(v->as_object(), "include_usage"), "stream_options.include_usage",
                          include_usage);
      !s.ok()) {
    return s;
  }
  p.include_usage = p.stream && include_usage;
  return Status::Ok();
}

// Every field but max_tokens, whose key differs between the endpoints, and the input.
Status ReadGenerationParams(const Context& c, const json::object& o, GenerationParams& p) {
  Status s = ReadModel(c, o, p.model);
  if (s.ok()) s = ReadStreamOptions(c, o, p);
  if (s.ok()) s = ReadNumber(c, o, "temperature", 0.0, 2.0, false, p.temperature);
  if (s.ok()) s = ReadNumber(c, o, "top_p", 0.0, 1.0, true, p.top_p);
  if (s.ok()) s = ReadN(c, o);
  if (s.ok()) s = ReadStop(c, o, p.stop);
  if (s.ok()) s = ReadSeed(c, o, p.seed);
  if (const json::value* u = Given(o, "user"); s.ok() && u != nullptr) {
    if (!u->is_string()) return WrongType(c, "user", "a string", *u);
    p.user.assign(u->as_string());
  }
  return s;
}

// Counts `bytes` more content against the limit.
Status AddContentBytes(Context& c, std::string_view param, size_t bytes) {
  c.content_bytes += bytes;
  if (c.content_bytes <= c.limits.max_content_bytes) return Status::Ok();
  return c.Fail(param, fmt::format("the request holds more than {} bytes of text",
                                   c.limits.max_content_bytes));
}

StatusOr<ChatRole> ReadRole(const Context& c, const json::object& m, std::string_view param) {
  static constexpr std::array kRoles = {ChatRole::kSystem, ChatRole::kUser, ChatRole::kAssistant,
                                        ChatRole::kTool, ChatRole::kDeveloper};
  const json::value* v = Given(m, "role");
  if (v == nullptr) return c.Fail(param, fmt::format("'{}' is required", param));
  if (!v->is_string()) return WrongType(c, param, "a string", *v);
  for (ChatRole r : kRoles) {
    if (v->as_string() == RoleName(r)) return r;
  }
  return c.Fail(param, fmt::format("'{}' must be one of system, user, assistant, tool, developer, "
                                   "got {}",
                                   param, json::serialize(*v)));
}

Status ReadContentParts(Context& c, const json::array& parts, const std::string& param,
                        std::string& out) {
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string part_param = fmt::format("{}[{}]", param, i);
    if (++c.content_parts > c.limits.max_content_parts) {
      return c.Fail(part_param, fmt::format("the request holds more than {} content parts",
                                            c.limits.max_content_parts));
    }
    if (!parts[i].is_object()) return WrongType(c, part_param, "an object", parts[i]);
    const json::object& p = parts[i].as_object();
    const json::value* type = Given(p, "type");
    if (type == nullptr || !type->is_string() || type->as_string() != "text") {
      return c.Fail(part_param + ".type", "only content parts of type 'text' are supported");
    }
    const json::value* text = Given(p, "text");
    if (text == nullptr || !text->is_string()) {
      return c.Fail(part_param + ".text", fmt::format("'{}.text' must be a string", part_param));
    }
    if (Status s = AddContentBytes(c, part_param, text->as_string().size()); !s.ok()) return s;
    out.append(text->as_string());
  }
  return Status::Ok();
}

Status ReadMessage(Context& c, const json::value& v, size_t index, ChatMessage& out) {
  const std::string param = fmt::format("messages[{}]", index);
  if (!v.is_object()) return WrongType(c, param, "an object", v);
  const json::object& m = v.as_object();
  StatusOr<ChatRole> role = ReadRole(c, m, param + ".role");
  if (!role.ok()) return role.status();
  out.role = *role;
  const std::string content_param = param + ".content";
  const json::value* content = Given(m, "content");
  if (content == nullptr) {
    if (out.role == ChatRole::kAssistant) return Status::Ok();
    return c.Fail(content_param, fmt::format("'{}' is required", content_param));
  }
  if (content->is_string()) {
    if (Status s = AddContentBytes(c, content_param, content->as_string().size()); !s.ok()) {
      return s;
    }
    out.content.assign(content->as_string());
    return Status::Ok();
  }
  if (!content->is_array()) {
    return WrongType(c, content_param, "a string or an array of content parts", *content);
  }
  return ReadContentParts(c, content->as_array(), content_param, out.content);
}

Status ReadMessages(Context& c, const json::object& o, std::vector<ChatMessage>& out) {
  const json::value* v = Given(o, "messages");
  if (v == nullptr) return c.Fail("messages", "'messages' is required");
  if (!v->is_array()) return WrongType(c, "messages", "an array", *v);
  const json::array& a = v->as_array();
  if (a.empty()) return c.Fail("messages", "'messages' must hold at least one message");
  if (a.size() > c.limits.max_messages) {
    return c.Fail("messages", fmt::format("'messages' has {} entries, at most {} accepted",
                                          a.size(), c.limits.max_messages));
  }
  out.resize(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (Status s = ReadMessage(c, a[i], i, out[i]); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadPrompt(Context& c, const json::object& o, std::string& out) {
  const json::value* v = Given(o, "prompt");
  if (v == nullptr) return c.Fail("prompt", "'prompt' is required");
  const json::value* text = v;
  if (v->is_array()) {
    const json::array& a = v->as_array();
    if (a.empty()) return c.Fail("prompt", "'prompt' must not be an empty array");
    if (!a[0].is_string()) {
      return c.Fail("prompt", "'prompt' given as token ids is not supported; send text");
    }
    if (a.size() > 1) {
      return c.Fail("prompt", fmt::format("'prompt' holds {} prompts; only one prompt per request "
                                          "is supported",
                                          a.size()));
    }
    text = &a[0];
  }
  if (!text->is_string()) return WrongType(c, "prompt", "a string or an array of strings", *v);
  if (Status s = AddContentBytes(c, "prompt", text->as_string().size()); !s.ok()) return s;
  out.assign(text->as_string());
  return Status::Ok();
}

}  // namespace

std::string_view EndpointLabel(ApiEndpoint endpoint) {
  return endpoint == ApiEndpoint::kChatCompletions ? "chat_completions" : "completions";
}

std::string_view RoleName(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem:
      return "system";
    case ChatRole::kUser:
      return "user";
    case ChatRole::kAssistant:
      return "assistant";
    case ChatRole::kTool:
      return "tool";
    case ChatRole::kDeveloper:
      return "developer";
  }
  return "user";
}

StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(std::string_view body,
                                                           const RequestLimits& limits,
                                                           std::string* error_param) {
  Context c{.limits = limits, .error_param = error_param};
  json::monotonic_resource arena;
  StatusOr<json::value> v = ParseObject(body, &arena, c);
  if (!v.ok()) return v.status();
  const json::object& o = v->as_object();
  ChatCompletionRequest r;
  Status s = ReadGenerationParams(c, o, r.params);
  if (s.ok()) s = ReadMaxTokens(c, o, "max_tokens", r.params.max_tokens);
  std::optional<uint32_t> max_completion_tokens;
  if (s.ok()) s = ReadMaxTokens(c, o, "max_completion_tokens", max_completion_tokens);
  if (s.ok()) s = ReadMessages(c, o, r.messages);
  if (!s.ok()) return s;
  if (max_completion_tokens) r.params.max_tokens = max_completion_tokens;
  return r;
}

StatusOr<CompletionRequest> ParseCompletionRequest(std::string_view body,
                                                   const RequestLimits& limits,
                                                   std::string* error_param) {
  Context c{.limits = limits, .error_param = error_param};
  json::monotonic_resource arena;
  StatusOr<json::value> v = ParseObject(body, &arena, c);
  if (!v.ok()) return v.status();
  const json::object& o = v->as_object();
  CompletionRequest r;
  Status s = ReadGenerationParams(c, o, r.params);
  if (s.ok()) s = ReadMaxTokens(c, o, "max_tokens", r.params.max_tokens);
  if (s.ok()) s = ReadPrompt(c, o, r.prompt);
  if (!s.ok()) return s;
  return r;
}

std::string ApplyChatTemplate(const std::vector<ChatMessage>& messages) {
  static constexpr std::string_view kAnswer = "<|assistant|>\n";
  size_t size = kAnswer.size();
  for (const ChatMessage& m : messages) size += RoleName(m.role).size() + m.content.size() + 6;
  std::string out;
  out.reserve(size);
  for (const ChatMessage& m : messages) {
    out += "<|";
    out += RoleName(m.role);
    out += "|>\n";
    out += m.content;
    out += '\n';
  }
  out += kAnswer;
  return out;
}

}  // namespace dynobs::llm::frontend
