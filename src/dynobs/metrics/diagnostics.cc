#include "dynobs/metrics/diagnostics.h"

#include <atomic>
#include <cstdio>
#include <string>

namespace dynobs::metrics {
namespace {

void StderrSink(Severity severity, std::string_view message, std::initializer_list<Field> fields) {
  std::string line = severity == Severity::kError  ? "ERROR dynobs::metrics: "
                     : severity == Severity::kWarn ? "WARN dynobs::metrics: "
                                                   : "INFO dynobs::metrics: ";
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

}  // namespace

void SetDiagnosticSink(DiagnosticSink sink) { g_sink.store(sink != nullptr ? sink : &StderrSink); }

void Report(Severity severity, std::string_view message, std::initializer_list<Field> fields) {
  g_sink.load()(severity, message, fields);
}

}  // namespace dynobs::metrics
