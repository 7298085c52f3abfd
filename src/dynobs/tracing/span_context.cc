#include "dynobs/tracing/span_context.h"

namespace dynobs::tracing {

std::string_view SpanContext::tracestate() const {
  return carried_ ? std::string_view(carried_->tracestate) : std::string_view();
}

std::string_view SpanContext::x_request_id() const {
  return carried_ ? std::string_view(carried_->x_request_id) : std::string_view();
}

std::string_view SpanContext::request_id() const {
  return carried_ ? std::string_view(carried_->request_id) : std::string_view();
}

SpanContext SpanContext::WithTracestate(std::string_view tracestate) const {
  SpanContext c = *this;
  c.carried_ = std::make_shared<const Carried>(
      Carried{std::string(tracestate), std::string(x_request_id()), std::string(request_id())});
  return c;
}

SpanContext SpanContext::WithRequestIds(std::string_view x_request_id,
                                        std::string_view request_id) const {
  SpanContext c = *this;
  c.carried_ = std::make_shared<const Carried>(
      Carried{std::string(tracestate()), std::string(x_request_id), std::string(request_id)});
  return c;
}

}  // namespace dynobs::tracing
