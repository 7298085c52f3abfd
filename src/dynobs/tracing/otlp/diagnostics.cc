#include "dynobs/tracing/otlp/diagnostics.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "dynobs/common/clock.h"

namespace dynobs::otlp {
namespace {

void StderrSink(Severity severity, std::string_view message,
                std::initializer_list<DiagnosticField> fields) {
  std::string line = severity == Severity::kWarn ? "WARN dynobs::otlp: " : "INFO dynobs::otlp: ";
  line += message;
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    line += v;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::atomic<DiagnosticSink> g_sink{&StderrSink};

struct TopicState {
  int64_t last_report_ns = 0;
  uint64_t suppressed = 0;
};

}  // namespace

void SetDiagnosticSink(DiagnosticSink sink) { g_sink.store(sink != nullptr ? sink : &StderrSink); }

void Report(const char* topic, Severity severity, std::string_view message,
            std::initializer_list<DiagnosticField> fields) {
  static std::mutex mu;
  static auto* topics = new std::map<const char*, TopicState>();
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu);
    TopicState& state = (*topics)[topic];
    int64_t now = MonotonicNanos();
    if (state.last_report_ns != 0 &&
        now - state.last_report_ns < int64_t{kReportIntervalSeconds} * 1'000'000'000) {
      ++state.suppressed;
      return;
    }
    state.last_report_ns = now;
    suppressed = state.suppressed;
    state.suppressed = 0;
  }
  if (suppressed == 0) {
    g_sink.load()(severity, message, fields);
    return;
  }
  std::string text(message);
  text += " (";
  text += std::to_string(suppressed);
  text += " similar messages suppressed)";
  g_sink.load()(severity, text, fields);
}

}  // namespace dynobs::otlp
