#pragma once

namespace dynobs::logging::internal {

// Installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that call `flush` (which must
// be async-signal-safe), then hand the signal to the disposition that was in place before
// (normally the default: the process dies with that signal and dumps core as it would have).
// Once per process; later calls do nothing.
void InstallFatalSignalHandlers(void (*flush)());

}  // namespace dynobs::logging::internal
