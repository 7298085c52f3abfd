#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace dynobs::metrics {

// How the metrics layer tells the log about things (a duplicate series dropped at scrape, a
// series limit reached, a failing callback) without depending on the logging layer above it.
// The process installs a sink at start-up; the default writes a plain line to stderr.
enum class Severity { kError, kWarn, kInfo };
using Field = std::pair<std::string_view, std::string_view>;
using DiagnosticSink = void (*)(Severity severity, std::string_view message,
                                std::initializer_list<Field> fields);

void SetDiagnosticSink(DiagnosticSink sink);
void Report(Severity severity, std::string_view message, std::initializer_list<Field> fields = {});

}  // namespace dynobs::metrics
