#include "dynobs/tracing/span.h"

#include <algorithm>
#include <cassert>

#include "dynobs/common/clock.h"
#include "dynobs/logging/span_events.h"

namespace dynobs::tracing {
namespace {

constexpr size_t kMaxEvents = 128;

thread_local Span* current_span = nullptr;

}  // namespace

Span::Span(const SpanSite& site) : site_(&site) {
  Start(current_span != nullptr ? &current_span->context_ : nullptr);
}

Span::Span(const SpanSite& site, const SpanContext& parent) : site_(&site) { Start(&parent); }

void Span::Start(const SpanContext* parent) {
  options_ = &TracerProvider::Options();
  recording_ = site_->Enabled();
  const bool has_parent = parent != nullptr && parent->IsValid();
  TraceId trace_id;
  uint8_t flags = 0;
  if (has_parent) {
    trace_id = parent->trace_id();
    flags = parent->flags() & kRandomFlag;
    parent_span_id_ = parent->span_id();
    parent_is_remote_ = parent->is_remote();
  } else {
    trace_id = NewTraceId();
    flags = kRandomFlag;
  }
  if (options_->sampler.ShouldSample(has_parent ? parent : nullptr, trace_id)) {
    flags |= kSampledFlag;
  }
  SpanId span_id = NewSpanId();
  context_ = parent != nullptr ? parent->WithIds(trace_id, span_id, flags, false)
                               : SpanContext(trace_id, span_id, flags, false);
  exporting_ = recording_ && (flags & kSampledFlag) != 0 && options_->processor != nullptr;
  timed_ = recording_ && logging::SpanEventsEnabled();
  if (exporting_) {
    start_unix_nanos_ = WallNanos();
    fields_.OwnAttributes();
  }
  if (timed_) start_mono_nanos_ = MonotonicNanos();
  info_.name = site_->name();
  info_.target = site_->target();
  info_.trace_id = trace_id.bytes;
  info_.span_id = span_id.bytes;
  info_.parent_id = parent_span_id_.bytes;
  info_.tracestate = context_.tracestate();
  info_.x_request_id = context_.x_request_id();
  info_.request_id = context_.request_id();
}

void Span::AddEvent(std::string_view name, std::initializer_list<logging::Field> attributes) {
  if (!exporting_ || ended_) return;
  if (events_.size() == kMaxEvents) {
    ++dropped_events_;
    return;
  }
  SpanEvent& event = events_.emplace_back();
  event.name.assign(name);
  event.time_unix_nanos = WallNanos();
  event.attributes = internal::ToAttributes(std::span<const logging::Field>(attributes));
}

void Span::SetStatus(StatusCode code, std::string_view message) {
  if (ended_ || code == StatusCode::kUnset || status_code_ == StatusCode::kOk) return;
  status_code_ = code;
  if (code == StatusCode::kError) {
    status_message_ = std::string(message);
  } else {
    status_message_.clear();
  }
}

void Span::Finish() {
  if (timed_) {
    int64_t now = MonotonicNanos();
    if (depth_ > 0) busy_nanos_ += now - entered_mono_nanos_;
    int64_t idle = std::max<int64_t>(0, now - start_mono_nanos_ - busy_nanos_);
    logging::EmitSpanClosed(info_, site_->level(), busy_nanos_, idle);
  }
  if (exporting_) {
    // The wall clock may step back; a span never ends before it starts.
    int64_t end = std::max(WallNanos(), start_unix_nanos_);
    options_->processor->OnEnd(ToSpanData(end));
  }
}

SpanData Span::ToSpanData(int64_t end_unix_nanos) {
  SpanData d;
  d.trace_id = context_.trace_id();
  d.span_id = context_.span_id();
  d.parent_span_id = parent_span_id_;
  d.parent_is_remote = parent_is_remote_;
  d.trace_flags = context_.flags();
  // assign(), not = std::string(...): each temporary string would cost another copy.
  if (!context_.tracestate().empty()) d.trace_state.assign(context_.tracestate());
  d.name.assign(site_->name());
  d.kind = site_->kind();
  d.start_unix_nanos = start_unix_nanos_;
  d.end_unix_nanos = end_unix_nanos;
  if (!fields_.view().empty()) d.attributes = fields_.TakeAttributes();
  info_.fields = {};  // the views pointed into what was just moved
  d.events = std::move(events_);
  d.status_code = status_code_;
  if (!status_message_.empty()) d.status_message = std::move(status_message_);
  d.dropped_attributes_count = fields_.dropped();
  d.dropped_events_count = dropped_events_;
  return d;
}

void Span::Enter() {
  if (depth_++ == 0 && timed_ && !ended_) entered_mono_nanos_ = MonotonicNanos();
  if (!entered_once_) {
    entered_once_ = true;
    if (timed_ && !ended_) logging::EmitSpanFirstEntry(info_, site_->level());
  }
}

void Span::Exit() {
  if (--depth_ == 0 && timed_ && !ended_) {
    busy_nanos_ += MonotonicNanos() - entered_mono_nanos_;
  }
}

SpanScope::SpanScope(Span& span)
    : span_(span),
      previous_span_(current_span),
      previous_info_(logging::SetCurrentSpan(&span.info_)) {
  current_span = &span;
  span_.Enter();
}

SpanScope::~SpanScope() {
  assert(current_span == &span_ && "SpanScopes must end in the reverse order of their start");
  span_.Exit();
  current_span = previous_span_;
  logging::SetCurrentSpan(previous_info_);
}

Span* CurrentSpan() { return current_span; }

SpanContext CurrentSpanContext() {
  return current_span != nullptr ? current_span->context() : SpanContext();
}

}  // namespace dynobs::tracing
