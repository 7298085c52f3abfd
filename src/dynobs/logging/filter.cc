#include "dynobs/logging/filter.h"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace dynobs::logging {
namespace {

// Dynamo's fixed list (spec §7.2).
constexpr std::array<std::string_view, 13> kNoisyTargets = {
    "h2",
    "tower",
    "hyper_util",
    "neli",
    "async_nats",
    "rustls",
    "tokenizers",
    "axum",
    "tonic",
    "hf_hub",
    "opentelemetry",
    "opentelemetry-otlp",
    "opentelemetry_sdk",
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (Lower(text[i]) != lower[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A directive's level: 0 for off, else the Level's value.
std::optional<uint8_t> ParseMaxLevel(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '5') {
    return static_cast<uint8_t>(text[0] - '0');
  }
  if (EqualsLower(text, "off")) return uint8_t{0};
  if (auto level = ParseLevel(text)) return static_cast<uint8_t>(*level);
  return std::nullopt;
}

bool IsTargetChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == ':' || c == '.';
}

// One item of DYN_LOG: a directive, or a description of why it is not one.
std::optional<Directive> ParseDirective(std::string_view item, std::string* problem) {
  size_t eq = item.find('=');
  std::string_view target = Trim(item.substr(0, eq));
  std::string_view level_text = eq == std::string_view::npos ? "" : Trim(item.substr(eq + 1));
  if (eq == std::string_view::npos) {
    if (auto level = ParseMaxLevel(target)) return Directive{"", *level};
  }
  constexpr std::string_view kAccepted =
      "expected `level`, `target=level` or `target`, with a level among off, error, warn, info, "
      "debug, trace";
  if (target.empty()) {
    *problem = fmt::format("ignoring DYN_LOG directive \"{}\": empty target; {}", item, kAccepted);
    return std::nullopt;
  }
  if (!std::all_of(target.begin(), target.end(), IsTargetChar)) {
    *problem = fmt::format(
        "ignoring DYN_LOG directive \"{}\": a target is a module path (letters, digits, _ - : .); "
        "span and field filters are not supported",
        item);
    return std::nullopt;
  }
  if (eq == std::string_view::npos) return Directive{std::string(target), 5};
  auto level = ParseMaxLevel(level_text);
  if (!level) {
    *problem = fmt::format("ignoring DYN_LOG directive \"{}\": unknown level \"{}\"; {}", item,
                           level_text, kAccepted);
    return std::nullopt;
  }
  return Directive{std::string(target), *level};
}

struct FilterStore {
  std::mutex mu;
  std::vector<std::unique_ptr<Filter>> kept;  // every filter ever published, never freed
  std::atomic<const Filter*> current{nullptr};
};

FilterStore& Store() {
  static auto* store = new FilterStore();
  return *store;
}

// Publishes `filter`; with `only_if_none`, only when no filter is current yet.
const Filter* Publish(Filter filter, bool only_if_none) {
  FilterStore& store = Store();
  std::lock_guard lock(store.mu);
  if (only_if_none) {
    if (const Filter* f = store.current.load(std::memory_order_acquire)) return f;
  }
  store.kept.push_back(std::make_unique<Filter>(std::move(filter)));
  const Filter* f = store.kept.back().get();
  store.current.store(f, std::memory_order_release);
  internal::g_filter_generation.fetch_add(1, std::memory_order_acq_rel);
  return f;
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kError:
      return "ERROR";
    case Level::kWarn:
      return "WARN";
    case Level::kInfo:
      return "INFO";
    case Level::kDebug:
      return "DEBUG";
    case Level::kTrace:
      return "TRACE";
  }
  return "INFO";
}

std::string_view LevelLabel(Level level) {
  switch (level) {
    case Level::kError:
      return "error";
    case Level::kWarn:
      return "warn";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
    case Level::kTrace:
      return "trace";
  }
  return "info";
}

std::optional<Level> ParseLevel(std::string_view text) {
  if (EqualsLower(text, "error")) return Level::kError;
  if (EqualsLower(text, "warn") || EqualsLower(text, "warning")) return Level::kWarn;
  if (EqualsLower(text, "info")) return Level::kInfo;
  if (EqualsLower(text, "debug")) return Level::kDebug;
  if (EqualsLower(text, "trace")) return Level::kTrace;
  return std::nullopt;
}

std::vector<Directive> ParseDirectives(std::string_view text, std::vector<std::string>* problems) {
  std::vector<Directive> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    std::string problem;
    if (auto d = ParseDirective(item, &problem)) {
      out.push_back(std::move(*d));
    } else {
      problems->push_back(std::move(problem));
    }
  }
  return out;
}

std::span<const std::string_view> NoisyTargets() { return kNoisyTargets; }

Filter Filter::Build(std::span<const Directive> user, bool span_events) {
  std::vector<Directive> all;
  all.push_back({"", static_cast<uint8_t>(Level::kInfo)});
  all.insert(all.end(), user.begin(), user.end());
  for (std::string_view t : kNoisyTargets) {
    all.push_back({std::string(t), static_cast<uint8_t>(Level::kError)});
  }
  if (span_events) all.push_back({"span_event", static_cast<uint8_t>(Level::kTrace)});
  all.push_back({"request_span", static_cast<uint8_t>(Level::kTrace)});

  Filter f;
  for (Directive& d : all) {  // a later directive replaces one with the same target
    auto same = std::find_if(f.directives_.begin(), f.directives_.end(),
                             [&](const Directive& e) { return e.target == d.target; });
    if (same != f.directives_.end()) {
      same->max_level = d.max_level;
    } else {
      f.directives_.push_back(std::move(d));
    }
  }
  std::stable_sort(
      f.directives_.begin(), f.directives_.end(),
      [](const Directive& a, const Directive& b) { return a.target.size() > b.target.size(); });
  return f;
}

bool Filter::Enabled(Level level, std::string_view target) const {
  for (const Directive& d : directives_) {
    // Most directives differ from the target in their first byte.
    if (!d.target.empty() && (target.empty() || target[0] != d.target[0])) continue;
    if (target.starts_with(d.target)) return static_cast<uint8_t>(level) <= d.max_level;
  }
  return false;
}

void SetFilter(Filter filter) { Publish(std::move(filter), false); }

const Filter& CurrentFilter() {
  const Filter* f = Store().current.load(std::memory_order_acquire);
  return f != nullptr ? *f : *Publish(Filter::Build({}, false), true);
}

bool Enabled(Level level, std::string_view target) {
  return CurrentFilter().Enabled(level, target);
}

bool CallSite::Refresh() const {
  uint64_t generation = internal::g_filter_generation.load(std::memory_order_acquire);
  bool on = CurrentFilter().Enabled(level_, target_);
  state_.store(generation << 1 | static_cast<uint64_t>(on), std::memory_order_relaxed);
  return on;
}

}  // namespace dynobs::logging
