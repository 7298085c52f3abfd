#include "dynobs/tracing/tracer.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace dynobs::tracing {
namespace {

const TracerOptions& DefaultOptions() {
  static const TracerOptions* const options = new TracerOptions();
  return *options;
}

std::atomic<const TracerOptions*> current{nullptr};

// Every options object ever configured: spans may still point at an old one.
std::mutex& RetiredMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

std::vector<std::unique_ptr<const TracerOptions>>& Retired() {
  static auto* retired = new std::vector<std::unique_ptr<const TracerOptions>>();
  return *retired;
}

}  // namespace

void TracerProvider::Configure(TracerOptions options) {
  auto owned = std::make_unique<const TracerOptions>(std::move(options));
  const TracerOptions* raw = owned.get();
  {
    std::lock_guard lock(RetiredMutex());
    Retired().push_back(std::move(owned));
  }
  current.store(raw, std::memory_order_release);
}

const TracerOptions& TracerProvider::Options() {
  const TracerOptions* options = current.load(std::memory_order_acquire);
  return options != nullptr ? *options : DefaultOptions();
}

bool TracerProvider::ForceFlush(int64_t timeout_ms) {
  SpanProcessor* p = Options().processor;
  return p == nullptr || p->ForceFlush(timeout_ms);
}

void TracerProvider::Shutdown(int64_t timeout_ms) {
  if (SpanProcessor* p = Options().processor) p->Shutdown(timeout_ms);
}

}  // namespace dynobs::tracing
