// EngineOutput::FromJson: read with Boost.JSON's event parser straight into the struct. One of
// these is parsed for every token the frontend streams, so no DOM is built: the document
// tree cost a third of the frontend's instructions (docs/performance.md, "Frontend").
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <boost/json/basic_parser_impl.hpp>

#include "dynobs/llm/protocol/engine_protocol.h"

namespace dynobs::llm {
namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// The events of one EngineOutput document. Only the top-level keys token_ids, text,
// finish_reason and cached_tokens are read; any other value (at any depth) is skipped. A
// problem ends the parse: the handler returns false and keeps the message.
class OutputHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit OutputHandler(EngineOutput* out) : out_(out) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }

  bool on_object_begin(error_code& ec) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (!Value(ec)) return false;
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    --depth_;
    return true;
  }
  bool on_array_begin(error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    if (depth_ == 1 && key_ == Key::kTokenIds) {
      in_tokens_ = true;
    } else if (!Value(ec)) {
      return false;
    }
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    --depth_;
    if (depth_ == 1) in_tokens_ = false;
    return true;
  }

  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (depth_ == 1) key_text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    if (depth_ != 1) return true;
    key_text_.append(s.data(), s.size());
    const std::string_view k = key_text_;
    key_ = k == "token_ids"       ? Key::kTokenIds
           : k == "text"          ? Key::kText
           : k == "finish_reason" ? Key::kFinishReason
           : k == "cached_tokens" ? Key::kCachedTokens
                                  : Key::kOther;
    key_text_.clear();
    return true;
  }

  bool on_string_part(string_view s, std::size_t, error_code& ec) {
    if (in_tokens_ && depth_ == 2) return Fail(ec, "token_ids must be integers");
    if (std::string* target = StringTarget()) target->append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    if (!Value(ec)) return false;
    if (std::string* target = StringTarget()) {
      target->append(s.data(), s.size());
      if (target == &text_) {
        out_->text = std::move(text_);
        text_.clear();
      } else {
        out_->finish_reason = std::move(finish_reason_);
        finish_reason_.clear();
      }
    }
    return true;
  }

  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(int64_t v, string_view, error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    if (in_tokens_ && depth_ == 2) return Token(v, ec);
    if (!Value(ec)) return false;
    if (depth_ == 1 && key_ == Key::kCachedTokens) out_->cached_tokens = static_cast<uint32_t>(v);
    return true;
  }
  bool on_uint64(uint64_t v, string_view, error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    if (in_tokens_ && depth_ == 2) {
      return v > UINT32_MAX ? Fail(ec, "token id out of range")
                            : Token(static_cast<int64_t>(v), ec);
    }
    return Value(ec);
  }
  bool on_double(double, string_view, error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    return Value(ec);
  }
  bool on_bool(bool, error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    return Value(ec);
  }
  bool on_null(error_code& ec) {
    if (depth_ == 0) return Fail(ec, "engine output is not a JSON object");
    return Value(ec);
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  enum class Key { kOther, kTokenIds, kText, kFinishReason, kCachedTokens };

  // A value other than an integer is starting or was read at the current depth: wrong inside
  // token_ids, and as the value of token_ids itself.
  bool Value(error_code& ec) {
    if (in_tokens_ && depth_ == 2) return Fail(ec, "token_ids must be integers");
    if (depth_ == 1 && key_ == Key::kTokenIds) {
      return Fail(ec, "token_ids must be an array of integers");
    }
    return true;
  }

  std::string* StringTarget() {
    if (depth_ != 1) return nullptr;
    if (key_ == Key::kText) return &text_;
    if (key_ == Key::kFinishReason) return &finish_reason_;
    return nullptr;
  }

  bool Token(int64_t id, error_code& ec) {
    if (id < 0 || id > UINT32_MAX) return Fail(ec, "token id out of range");
    out_->token_ids.push_back(static_cast<uint32_t>(id));
    return true;
  }

  bool Fail(error_code& ec, std::string_view problem) {
    problem_ = problem;
    ec = json::error::extra_data;  // any error: the message is ours
    return false;
  }

  EngineOutput* out_;
  int depth_ = 0;
  bool in_tokens_ = false;
  Key key_ = Key::kOther;
  std::string key_text_, text_, finish_reason_, problem_;
};

}  // namespace

StatusOr<EngineOutput> EngineOutput::FromJson(std::string_view text) {
  EngineOutput out;
  json::basic_parser<OutputHandler> parser(json::parse_options{}, &out);
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && (!parser.done() || used != text.size())) ec = json::error::extra_data;
  if (ec) {
    const std::string& problem = parser.handler().problem();
    if (problem.empty() || problem == "engine output is not a JSON object") {
      return InvalidArgumentError("engine output is not a JSON object");
    }
    return InvalidArgumentError(fmt::format("invalid engine output: {}", problem));
  }
  return out;
}

}  // namespace dynobs::llm
