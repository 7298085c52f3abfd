#include "dynobs/runtime/request_plane/work_handler_metrics.h"

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dynobs/metrics/create.h"

namespace dynobs::runtime {
namespace {

constexpr std::array<std::string_view, kWorkHandlerErrorCount> kErrorNames = {
    "deserialization", "invalid_message",  "response_stream",
    "generate",        "publish_response", "publish_final",
};

std::vector<double> RequestDurationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};
}

struct PerfState {
  std::mutex mu;
  bool registered = false;
  std::shared_ptr<metrics::Registry> registry;
  std::vector<std::shared_ptr<metrics::Registry>> retired;  // tests: old handles stay valid
  WorkHandlerPerf perf;
};

PerfState& Perf() {
  static auto* state = new PerfState();  // never destroyed: handles may be used at exit
  return *state;
}

}  // namespace

std::string_view WorkHandlerErrorName(WorkHandlerError error) {
  return kErrorNames[static_cast<size_t>(error)];
}

StatusOr<std::unique_ptr<WorkHandlerMetrics>> WorkHandlerMetrics::Create(
    const metrics::MetricsScope& scope, const metrics::Labels& labels) {
  std::unique_ptr<WorkHandlerMetrics> m(new WorkHandlerMetrics());
  m->registry_ = scope.registry();
  auto spec = [&labels](const char* name, const char* help) {
    return metrics::MetricSpec{.name = name, .help = help, .const_labels = labels};
  };
  metrics::MetricSpec duration =
      spec("request_duration_seconds", "Time spent processing requests by work handler");
  duration.buckets = RequestDurationBuckets();
  metrics::MetricSpec errors =
      spec("errors_total", "Total number of errors in work handler processing");
  errors.label_names = {"error_type"};
  for (const Status& s : {
           metrics::AssignCreated(
               scope.CreateIntCounter(
                   spec("requests_total", "Total number of requests processed by work handler")),
               &m->requests),
           metrics::AssignCreated(scope.CreateHistogram(std::move(duration)), &m->duration),
           metrics::AssignCreated(
               scope.CreateIntGauge(
                   spec("inflight_requests",
                        "Number of requests currently being processed by work handler")),
               &m->inflight),
           metrics::AssignCreated(
               scope.CreateIntCounter(
                   spec("request_bytes_total",
                        "Total number of bytes received in requests by work handler")),
               &m->request_bytes),
           metrics::AssignCreated(scope.CreateIntCounter(spec(
                                      "response_bytes_total",
                                      "Total number of bytes sent in responses by work handler")),
                                  &m->response_bytes),
           metrics::AssignCreated(scope.CreateIntCounterVec(std::move(errors)), &m->errors_),
           metrics::AssignCreated(
               scope.CreateIntCounter(spec("cancellation_total",
                                           "Total number of requests cancelled by work handler")),
               &m->cancellations),
       }) {
    if (!s.ok()) return s;
  }
  return m;
}

void WorkHandlerMetrics::CountError(WorkHandlerError error) const {
  auto counter = errors_.WithLabelValues({WorkHandlerErrorName(error)});
  if (counter.ok()) counter->Inc();
}

const WorkHandlerPerf& EnsureWorkHandlerPerf(const std::shared_ptr<metrics::Registry>& registry) {
  PerfState& state = Perf();
  std::lock_guard lock(state.mu);
  if (state.registered) return state.perf;
  state.registered = true;
  state.registry = registry;
  auto transit = registry->CreateHistogram(
      {.name = "dynamo_work_handler_network_transit_seconds",
       .help = "Frontend-to-backend network transit time (cross-process wall-clock, seconds)",
       .buckets = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1}});
  auto first = registry->CreateHistogram(
      {.name = "dynamo_work_handler_time_to_first_response_seconds",
       .help = "Backend processing time from handle_payload entry to prologue sent (seconds)",
       .buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}});
  if (transit.ok()) state.perf.network_transit = *transit;
  if (first.ok()) state.perf.time_to_first_response = *first;
  return state.perf;
}

const WorkHandlerPerf& GetWorkHandlerPerf() {
  PerfState& state = Perf();
  std::lock_guard lock(state.mu);
  return state.perf;
}

void ResetWorkHandlerPerfForTesting() {
  PerfState& state = Perf();
  std::lock_guard lock(state.mu);
  state.registered = false;
  state.perf = WorkHandlerPerf{};
  if (state.registry) state.retired.push_back(std::move(state.registry));
}

}  // namespace dynobs::runtime
