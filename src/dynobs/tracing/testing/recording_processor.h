#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "dynobs/tracing/span_data.h"

namespace dynobs::tracing::testing {

// A SpanProcessor for tests: keeps every span it is given, in order. Thread-safe.
class RecordingProcessor : public SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override;
  bool ForceFlush(int64_t timeout_ms) override;
  void Shutdown(int64_t timeout_ms) override;

  [[nodiscard]] std::vector<SpanData> Take();
  [[nodiscard]] size_t count() const;

 private:
  mutable std::mutex mu_;
  std::vector<SpanData> spans_;
};

}  // namespace dynobs::tracing::testing
