#include "dynobs/tracing/testing/recording_processor.h"

#include <utility>

namespace dynobs::tracing::testing {

void RecordingProcessor::OnEnd(SpanData&& span) {
  std::lock_guard lock(mu_);
  spans_.push_back(std::move(span));
}

bool RecordingProcessor::ForceFlush(int64_t /*timeout_ms*/) { return true; }
void RecordingProcessor::Shutdown(int64_t /*timeout_ms*/) {}

std::vector<SpanData> RecordingProcessor::Take() {
  std::lock_guard lock(mu_);
  return std::exchange(spans_, {});
}

size_t RecordingProcessor::count() const {
  std::lock_guard lock(mu_);
  return spans_.size();
}

}  // namespace dynobs::tracing::testing
