#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace dynobs::otlp {

// How the exporters tell the operator about failed exports and partial rejections without
// depending on the logging layer (which feeds them: a log line about a failed log export must not
// be exported in its turn). The process may install a sink at start-up; the default writes one
// plain line to stderr. Lines are rate-limited per topic: at most one per `kReportIntervalSeconds`,
// the next one saying how many were suppressed, so a collector that is down for an hour costs a
// few hundred lines, not one per batch (Dynamo issue #10781).
enum class Severity { kWarn, kInfo };
using DiagnosticField = std::pair<std::string_view, std::string_view>;
using DiagnosticSink = void (*)(Severity severity, std::string_view message,
                                std::initializer_list<DiagnosticField> fields);

inline constexpr int kReportIntervalSeconds = 10;

// Thread-safe; the sink is called on the exporter threads.
void SetDiagnosticSink(DiagnosticSink sink);  // nullptr restores the stderr sink

// `topic` groups messages for rate limiting (a string literal: it is kept by address).
void Report(const char* topic, Severity severity, std::string_view message,
            std::initializer_list<DiagnosticField> fields = {});

}  // namespace dynobs::otlp
