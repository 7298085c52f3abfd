#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "dynobs/logging/field.h"

namespace dynobs::logging {

// Secrets and payloads never reach the log (issue 3, §1): the logger replaces the value of every
// field whose key is sensitive, in every output and before every RecordSink; prompt and
// completion text is logged only when DYN_LOG_PAYLOADS is on.
//
// All functions are thread-safe and allocation-free (RedactFields may grow its scratch vector).

inline constexpr std::string_view kRedacted = "[REDACTED]";
inline constexpr std::string_view kPayloadOmitted =
    "[payload omitted; set DYN_LOG_PAYLOADS=1 to log it]";

// True for keys whose values are secrets, compared ASCII-case-insensitively with '-' and '_'
// treated alike: authorization, proxy-authorization, cookie, set-cookie, x-api-key, api-key, and
// any key ending in -token, password or secret (so `x-auth-token`, `db_password`,
// `client_secret`; not `input_tokens`). A few byte compares.
[[nodiscard]] bool IsSensitiveKey(std::string_view key);

// `value`, or kRedacted when `header_name` is sensitive (IsSensitiveKey). For code that copies
// HTTP headers onto spans or into fields. The result views `value` or static storage.
[[nodiscard]] std::string_view RedactHeaderValue(std::string_view header_name,
                                                 std::string_view value);

// A field value for prompt or completion text: the text itself when DYN_LOG_PAYLOADS is on, else
// kPayloadOmitted. Decided when the field is built, so sinks see the placeholder too:
//   DYNOBS_LOG(kDebug, kTarget, "prompt", {"prompt", logging::Payload(text)});
[[nodiscard]] FieldValue Payload(std::string_view text);

// The DYN_LOG_PAYLOADS switch (InitLogging sets it; off by default). A relaxed atomic.
void SetPayloadsEnabled(bool enabled);
[[nodiscard]] bool PayloadsEnabled();

// `fields` with the value of every sensitive key replaced by kRedacted. Returns `fields` itself
// when no key is sensitive (the common case: no copy); otherwise a copy held in `*scratch`, valid
// until `*scratch` changes.
[[nodiscard]] std::span<const Field> RedactFields(std::span<const Field> fields,
                                                  std::vector<Field>* scratch);

}  // namespace dynobs::logging
