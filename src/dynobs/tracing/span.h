#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/logging/field.h"
#include "dynobs/logging/filter.h"
#include "dynobs/logging/record.h"
#include "dynobs/logging/span_info.h"
#include "dynobs/tracing/internal/span_fields.h"
#include "dynobs/tracing/span_context.h"
#include "dynobs/tracing/span_data.h"
#include "dynobs/tracing/tracer.h"

namespace dynobs::tracing {

// Where a span comes from, as Dynamo's tracing spans have it: a name, a level and a target that
// the log filter (DYN_LOG) judges, and a kind, e.g.
//   constinit SpanSite kHttpRequest("http-request", "request_span", logging::Level::kInfo);
// It caches the filter's decision (logging::CallSite: about 1 ns to check), so it lives in
// static storage, one per kind of span: `constinit` at namespace scope or `static constinit` in a
// function. Spans keep a pointer to it. Thread-safe.
class SpanSite {
 public:
  constexpr SpanSite(std::string_view name, std::string_view target,
                     logging::Level level = logging::Level::kInfo,
                     SpanKind kind = SpanKind::kInternal)
      : name_(name), kind_(kind), filter_(level, target) {}
  SpanSite(const SpanSite&) = delete;
  SpanSite& operator=(const SpanSite&) = delete;

  [[nodiscard]] std::string_view name() const { return name_; }
  [[nodiscard]] std::string_view target() const { return filter_.target(); }
  [[nodiscard]] logging::Level level() const { return filter_.level(); }
  [[nodiscard]] SpanKind kind() const { return kind_; }
  // Whether the log filter lets spans of this site record.
  [[nodiscard]] bool Enabled() const { return filter_.Enabled(); }

 private:
  std::string_view name_;
  SpanKind kind_;
  logging::CallSite filter_;
};

// One span, RAII: started by the constructor, ended by End() or the destructor.
//
// Every span gets a span id and a trace context, which it propagates, whatever the log format
// or filter (decided difference 7). Beyond that:
//  - recording: the span's level and target pass the log filter. A span that does not is
//    neither exported nor announced by span events, but keeps its ids and is still current in
//    logs while entered.
//  - sampled: the configured sampler's decision (TracerOptions). An unsampled span is not
//    exported but appears in logs; its flags say 00 downstream.
//  - exported: recording, sampled and a SpanProcessor configured. End() hands its SpanData to
//    the processor. Only such a span reads the wall clock (twice) and keeps events.
//  - span events (logging::SpanEventsEnabled(), recording spans): SPAN_FIRST_ENTRY at the first
//    SpanScope, SPAN_CLOSED at End() with the time entered (busy) and the rest (idle).
// Parent: the constructor's explicit context (remote or local; invalid means a new trace), or
// else the span current on this thread (SpanScope), or none. A child shares its parent's trace
// id, random flag, tracestate, x_request_id and request_id (spec §8.3).
//
// Cost (tracing_bench, 2-vCPU dev machine): start + end about 25 ns unsampled, 85 ns sampled
// and exported (two wall-clock reads of ~27 ns each), 170 ns exported with 5 fields. A span
// that is not exported allocates nothing for up to 8 fields and 256 bytes of their text and
// reads no clock unless span events are on; an exported one allocates the attribute vector of
// its SpanData (once for up to 8 fields) and string values longer than 15 bytes.
// Thread safety: not synchronized. One thread at a time may use a span; it may move between
// threads with a request (a coroutine resumed elsewhere) as long as uses do not overlap.
// context() and info() may be read concurrently with each other.
// Lifetime: pinned (neither copyable nor movable): the logger holds views into it while it is
// current. Start one as a local, a member, or with std::optional::emplace / make_unique.
class Span {
 public:
  // A child of the span current on this thread, or a new trace. `site` outlives the span.
  explicit Span(const SpanSite& site);
  // A child of `parent`; a new trace when `parent` is invalid (keeping the request ids it
  // carries, as extraction's result does when `traceparent` was missing or invalid).
  Span(const SpanSite& site, const SpanContext& parent);
  ~Span() { End(); }

  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  // This span's own context: what its children and outgoing requests carry.
  [[nodiscard]] const SpanContext& context() const { return context_; }
  [[nodiscard]] const SpanId& parent_span_id() const { return parent_span_id_; }
  [[nodiscard]] bool is_recording() const { return recording_; }
  [[nodiscard]] bool is_sampled() const { return context_.sampled(); }
  [[nodiscard]] bool is_exported() const { return exporting_; }
  [[nodiscard]] bool has_ended() const { return ended_; }
  // What the logger shows of this span while it is current.
  [[nodiscard]] const logging::SpanInfo& info() const { return info_; }
  [[nodiscard]] std::string_view name() const { return site_->name(); }

  // A field (OpenTelemetry attribute): bool, integers, double, string (copied), or
  // logging::FieldValue::Json. Setting a key again replaces its value. Shown on log lines while
  // the span is current; exported with the span. At most 128 (more are dropped and counted).
  // Ignored after End().
  void SetAttribute(std::string_view key, const logging::FieldValue& value) {
    if (!ended_ && fields_.Set(key, value)) info_.fields = fields_.view();
  }

  // A timestamped event, kept only by an exported span (at most 128).
  void AddEvent(std::string_view name, std::initializer_list<logging::Field> attributes = {});

  // OpenTelemetry's rules: kUnset is ignored, kOk is final, the message is kept with kError
  // only.
  void SetStatus(StatusCode code, std::string_view message = {});

  // Ends the span: emits SPAN_CLOSED, hands an exported span to the processor (OnEnd, which does
  // not block). Later calls do nothing.
  void End() {
    if (ended_) return;
    ended_ = true;
    if (exporting_ || timed_) Finish();
  }

 private:
  friend class SpanScope;

  void Start(const SpanContext* parent);
  void Finish();
  void Enter();
  void Exit();
  [[nodiscard]] SpanData ToSpanData(int64_t end_unix_nanos);

  const SpanSite* site_;
  const TracerOptions* options_;
  SpanContext context_;
  SpanId parent_span_id_;
  bool parent_is_remote_ = false;
  bool recording_ = false;
  bool exporting_ = false;
  bool timed_ = false;  // span events: busy/idle accounting on the monotonic clock
  bool ended_ = false;
  bool entered_once_ = false;
  StatusCode status_code_ = StatusCode::kUnset;
  int depth_ = 0;  // SpanScopes open on this span
  int64_t start_unix_nanos_ = 0;
  int64_t start_mono_nanos_ = 0;
  int64_t entered_mono_nanos_ = 0;
  int64_t busy_nanos_ = 0;
  uint32_t dropped_events_ = 0;
  logging::SpanInfo info_;
  internal::SpanFields fields_;
  std::vector<SpanEvent> events_;
  std::string status_message_;
};

// Makes a span current on this thread for a scope: children started without an explicit parent
// hang under it, and log lines carry its ids and fields (logging::SetCurrentSpan). Restores the
// previous current span on destruction. Scopes nest, strictly LIFO, on one thread.
//
// Do not keep a SpanScope across a co_await: the coroutine may resume on another thread, and
// other work runs on this one meanwhile. Across suspension points, pass span.context() and open
// a new scope after resuming.
class SpanScope {
 public:
  explicit SpanScope(Span& span);
  ~SpanScope();
  SpanScope(const SpanScope&) = delete;
  SpanScope& operator=(const SpanScope&) = delete;

 private:
  Span& span_;
  Span* previous_span_;
  const logging::SpanInfo* previous_info_;
};

// The span current on this thread, or null.
[[nodiscard]] Span* CurrentSpan();
// Its context, or an invalid one when no span is current.
[[nodiscard]] SpanContext CurrentSpanContext();

}  // namespace dynobs::tracing
