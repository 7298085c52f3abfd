#include "dynobs/logging/internal/fatal_signals.h"

#include <signal.h>

#include <atomic>

namespace dynobs::logging::internal {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

std::atomic<void (*)()> g_flush{nullptr};
struct sigaction g_previous[NSIG];

void OnFatalSignal(int sig, siginfo_t* info, void* /*context*/) {
  if (auto flush = g_flush.exchange(nullptr)) flush();  // once, even if several threads fault
  sigaction(sig, &g_previous[sig], nullptr);
  // A fault raised by the kernel happens again when the handler returns, now reaching the
  // previous disposition with its real siginfo; a signal that was sent is sent again (it stays
  // blocked, so pending, until this handler returns).
  bool kernel_fault = info != nullptr && info->si_code > 0 && sig != SIGABRT;
  if (!kernel_fault) raise(sig);
}

}  // namespace

void InstallFatalSignalHandlers(void (*flush)()) {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  g_flush.store(flush);
  for (int sig : kFatalSignals) {
    struct sigaction action {};
    action.sa_sigaction = &OnFatalSignal;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, &g_previous[sig]);
  }
}

}  // namespace dynobs::logging::internal
