#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/logging/record.h"

namespace dynobs::logging {

[[nodiscard]] std::string_view LevelName(Level level);   // "ERROR" ... "TRACE"
[[nodiscard]] std::string_view LevelLabel(Level level);  // "error" ... "trace" (metric labels)
// error, warn (or warning), info, debug, trace, in any case; nullopt otherwise.
[[nodiscard]] std::optional<Level> ParseLevel(std::string_view text);

// One DYN_LOG directive: records and spans whose target starts with `target` ("" matches every
// target) pass up to `max_level` (0: off; else a Level's value, so 3 lets ERROR, WARN and INFO
// through).
struct Directive {
  std::string target;
  uint8_t max_level = 0;
  friend bool operator==(const Directive&, const Directive&) = default;
};

// Parses DYN_LOG as tracing's EnvFilter does (spec §7.2): comma-separated directives, each
// `level`, `target=level` or a bare `target` (meaning target=trace). Levels are off, error, warn,
// info, debug, trace (any case) or 0..5. Targets are dotted or `::` paths: letters, digits and
// `_ - : .`. Items are trimmed; empty items are skipped. An invalid directive (bad level, empty
// target, span filters such as `target[span]=debug`, other characters) is left out and described
// in `*problems`, one line each, for the caller to report once.
[[nodiscard]] std::vector<Directive> ParseDirectives(std::string_view text,
                                                     std::vector<std::string>* problems);

// The targets that Dynamo pins to error after the user's directives (spec §7.2).
[[nodiscard]] std::span<const std::string_view> NoisyTargets();

// A built filter: immutable, so any number of threads may query it.
class Filter {
 public:
  // Dynamo's construction (spec §7.2): the default directive `info`, then `user` in order, then
  // the fixed directives (every NoisyTargets()=error, `span_event=trace` when span events are
  // on, and always `request_span=trace`). A later directive for exactly the same target replaces
  // an earlier one, so the fixed ones win for their own targets.
  [[nodiscard]] static Filter Build(std::span<const Directive> user, bool span_events);

  // The most specific (longest) directive whose target is a prefix of `target` decides; prefixes
  // are plain string prefixes, as in EnvFilter (`tower` matches `tower_http`). Cost: a scan of
  // the directives, typically 10-30 ns.
  [[nodiscard]] bool Enabled(Level level, std::string_view target) const;

  // Most specific first.
  [[nodiscard]] const std::vector<Directive>& directives() const { return directives_; }

 private:
  std::vector<Directive> directives_;
};

// The process filter: Filter::Build({}, false) until SetFilter (InitLogging) replaces it.
// SetFilter publishes the new filter and invalidates the decision every CallSite cached.
// Thread-safe. Filters are kept for the process's life, so a reader never sees one freed.
void SetFilter(Filter filter);
[[nodiscard]] const Filter& CurrentFilter();

// Whether a record or span of `level` for `target` passes the process filter. Thread-safe and
// lock-free: one scan of the directives. On a hot path with a fixed level and target (a span
// kind, a log statement) keep a CallSite instead.
[[nodiscard]] bool Enabled(Level level, std::string_view target);

namespace internal {
// Bumped by SetFilter; a CallSite's cached decision is valid for one generation. Starts at 1 so
// that a fresh CallSite (generation 0) always refreshes first.
inline std::atomic<uint64_t> g_filter_generation{1};
}  // namespace internal

// A fixed level and target (plus the source location of a log statement) with the filter's
// decision cached until the filter changes. Checking it costs two relaxed loads and a compare
// (about 1 ns) once cached. constexpr-constructible, for static storage: DYNOBS_LOG declares one
// per call site; tracing can keep one per span kind. The target must outlive the CallSite (a
// string literal or a constant).
class CallSite {
 public:
  constexpr CallSite(Level level, std::string_view target, std::string_view file = {},
                     uint32_t line = 0)
      : level_(level), line_(line), target_(target), file_(file) {}
  CallSite(const CallSite&) = delete;
  CallSite& operator=(const CallSite&) = delete;

  [[nodiscard]] bool Enabled() const {
    uint64_t s = state_.load(std::memory_order_relaxed);
    if ((s >> 1) == internal::g_filter_generation.load(std::memory_order_relaxed)) return s & 1;
    return Refresh();
  }

  [[nodiscard]] Level level() const { return level_; }
  [[nodiscard]] uint32_t line() const { return line_; }
  [[nodiscard]] std::string_view target() const { return target_; }
  [[nodiscard]] std::string_view file() const { return file_; }

 private:
  bool Refresh() const;

  Level level_;
  uint32_t line_;
  std::string_view target_;
  std::string_view file_;
  mutable std::atomic<uint64_t> state_{0};  // generation << 1 | enabled
};

}  // namespace dynobs::logging
