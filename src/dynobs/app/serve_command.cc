#include "dynobs/app/serve_command.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "dynobs/app/or_exit.h"
#include "dynobs/app/telemetry.h"
#include "dynobs/common/env.h"
#include "dynobs/llm/frontend/route_paths.h"

namespace dynobs::app {
namespace {

using Clock = std::chrono::steady_clock;

// A free TCP port on this machine now (the kernel's pick; another process could take it before
// the child binds it, which the child then reports loudly).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof a;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// One supervised child: how to start it, and when to start it again.
struct Child {
  std::string name;  // "frontend", "worker-1", ...
  std::vector<std::string> args;
  std::vector<std::string> env;  // NAME=value, on top of this process's environment
  pid_t pid = -1;
  int restarts = 0;
  Clock::time_point started;
  Clock::time_point restart_at = Clock::time_point::max();
};

pid_t Spawn(const Child& c) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // The child: the shutdown signals unblocked again, its own settings, the same binary.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
  for (const std::string& kv : c.env) ::putenv(const_cast<char*>(kv.c_str()));
  std::vector<char*> argv;
  static char self[] = "dynobs";
  argv.push_back(self);
  for (const std::string& a : c.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "dynobs serve: cannot start %s: exec failed\n", c.name.c_str());
  ::_exit(127);
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "stopped";
}

}  // namespace

void AddServeCommand(CLI::App& app, ServeOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "The main job: the OpenAI-compatible frontend and N mock-engine workers as child "
      "processes, found through file discovery in a private temporary directory. Prints the API "
      "URL and every process's /metrics, /health and /live; restarts a child that dies, with "
      "backoff; Ctrl-C stops everything.");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--workers", o.workers, "Worker processes")->check(CLI::Range(1, 64));
  cmd->add_option("--http-port", o.http_port, "Frontend port (default 8000, or DYN_HTTP_PORT)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--router-mode", o.router_mode, "round_robin, random or kv")
      ->check(CLI::IsMember({"round_robin", "random", "kv"}));
  cmd->add_flag("--kvbm", o.kvbm,
                "Workers get a host tier and a disk tier and serve kvbm_* on ports of their own");
  cmd->add_flag("--jsonl", o.jsonl, "Every process logs JSONL (DYN_LOGGING_JSONL=1)");
  cmd->add_option("--otlp-endpoint", o.otlp_endpoint,
                  "Export spans and logs over OTLP to this endpoint (e.g. http://localhost:4317)");
  cmd->add_option("--speedup", o.speedup, "Workers' engine speedup (1: GPU-like timing)")
      ->check(CLI::Range(0.01, 1e6));
  cmd->add_option("--model-name", o.model_name, "Model the workers serve");
  cmd->add_option("--frontend-io-threads", o.frontend_io_threads,
                  "The frontend's event-loop threads (0: max(1, cores / (workers + 1)), since "
                  "every process shares this machine's cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_flag("--zero-delay", o.zero_delay, "Workers' iterations take no time (benchmarks)");
}

int RunServe(const ServeOptions& o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  env::Reader env(env::ProcessSource());
  int http_port = 8000;
  if (auto p = env.Int("DYN_HTTP_PORT", 0, 65535); !p.ok()) {
    ExitWithConfigError(p.status());
  } else if (*p) {
    http_port = static_cast<int>(**p);
  }
  if (o.http_port) http_port = *o.http_port;
  if (http_port == 0) http_port = FreePort();
  // The frontend child reads the same overrides; read here too for the banner (and loud early).
  const llm::frontend::RoutePaths paths =
      OrExit(llm::frontend::LoadRoutePaths(env, nullptr), "frontend");

  char tmpl[] = "/tmp/dynobs-serve-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    ExitWithConfigError(UnavailableError("cannot create a temporary directory under /tmp"));
  }
  const std::string dir = tmpl;
  std::vector<std::string> common = {"DYN_DISCOVERY_BACKEND=file",
                                     "DYN_DISCOVERY_DIR=" + dir + "/discovery"};
  if (o.jsonl) common.push_back("DYN_LOGGING_JSONL=1");
  if (!o.otlp_endpoint.empty()) {
    common.push_back("OTEL_EXPORT_ENABLED=true");
    common.push_back("OTEL_EXPORTER_OTLP_ENDPOINT=" + o.otlp_endpoint);
  }

  std::vector<Child> children;
  std::vector<std::string> urls;
  for (int i = 1; i <= o.workers; ++i) {
    Child w{.name = fmt::format("worker-{}", i)};
    const int system_port = FreePort();
    w.args = {"worker",     "--speedup", fmt::format("{}", o.speedup), "--model-name", o.model_name,
              "--disk-dir", dir};
    if (o.zero_delay) w.args.push_back("--zero-delay");
    w.env = common;
    w.env.push_back(fmt::format("DYN_SYSTEM_PORT={}", system_port));
    w.env.push_back(fmt::format("OTEL_SERVICE_NAME=dynobs-worker-{}", i));
    urls.push_back(
        fmt::format("  {:<10} http://localhost:{}/metrics  /health  /live", w.name, system_port));
    if (o.kvbm) {
      const int kvbm_port = FreePort();
      w.args.insert(w.args.end(), {"--num-gpu-blocks", "1024", "--host-blocks", "1024",
                                   "--disk-cache-mib", "64"});
      w.env.push_back("DYN_KVBM_METRICS=1");
      w.env.push_back(fmt::format("DYN_KVBM_METRICS_PORT={}", kvbm_port));
      urls.push_back(fmt::format("  {:<10} http://localhost:{}/metrics  (kvbm_*)", "", kvbm_port));
    }
    children.push_back(std::move(w));
  }
  // Threads on one machine: more event-loop threads than the frontend's share of the cores only
  // hand work between threads (each hand-off a wake-up), which costs more than it gives.
  const int io_threads =
      o.frontend_io_threads > 0
          ? o.frontend_io_threads
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / (o.workers + 1));
  Child frontend{.name = "frontend",
                 .args = {"frontend", "--http-port", std::to_string(http_port), "--router-mode",
                          o.router_mode, "--io-threads", std::to_string(io_threads)},
                 .env = common};
  frontend.env.push_back("DYN_SYSTEM_PORT=-1");
  frontend.env.push_back("OTEL_SERVICE_NAME=dynobs-frontend");
  children.push_back(std::move(frontend));

  for (Child& c : children) {
    c.pid = Spawn(c);
    c.started = Clock::now();
  }
  std::printf("dynobs serve: a frontend and %d workers (Ctrl-C stops them all)\n", o.workers);
  std::printf("  API        http://localhost:%d%s  %s  %s\n", http_port, paths.chat.c_str(),
              paths.completions.c_str(), paths.models.c_str());
  std::printf("  frontend   http://localhost:%d%s  %s  %s\n", http_port, paths.metrics.c_str(),
              paths.health.c_str(), paths.live.c_str());
  for (const std::string& u : urls) std::printf("%s\n", u.c_str());
  std::printf("  discovery  %s/discovery (removed at exit)\n", dir.c_str());
  std::printf(
      "try:\n  curl -sN localhost:%d%s -H 'Content-Type: application/json' "
      "-d '{\"model\":\"%s\",\"stream\":true,\"max_tokens\":16,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'\n",
      http_port, paths.chat.c_str(), o.model_name.c_str());
  std::fflush(stdout);

  // Supervise until asked to stop: a child that dies is started again after 1, 2, 4 ... 30 s
  // (reset when it had run a minute).
  int stop_signal = 0;
  while (stop_signal == 0) {
    timespec tick{.tv_sec = 0, .tv_nsec = 200'000'000};
    int sig = ::sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) stop_signal = sig;
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      for (Child& c : children) {
        if (c.pid != pid) continue;
        c.pid = -1;
        if (Clock::now() - c.started > std::chrono::minutes(1)) c.restarts = 0;
        const auto backoff = std::chrono::seconds(std::min(30, 1 << std::min(c.restarts, 5)));
        c.restart_at = Clock::now() + backoff;
        std::fprintf(stderr, "dynobs serve: %s (pid %d) %s; restarting in %lld s\n", c.name.c_str(),
                     pid, Describe(status).c_str(), static_cast<long long>(backoff.count()));
      }
    }
    if (stop_signal != 0) break;
    for (Child& c : children) {
      if (c.pid == -1 && Clock::now() >= c.restart_at) {
        c.pid = Spawn(c);
        c.started = Clock::now();
        c.restart_at = Clock::time_point::max();
        ++c.restarts;
        std::fprintf(stderr, "dynobs serve: %s started again (pid %d)\n", c.name.c_str(), c.pid);
      }
    }
  }

  // Stop: the frontend first (no new requests), then the workers; SIGKILL after 10 s.
  std::fprintf(stderr, "dynobs serve: stopping\n");
  for (auto it = children.rbegin(); it != children.rend(); ++it) {
    if (it->pid > 0) ::kill(it->pid, SIGTERM);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  auto running = [&] {
    return std::any_of(children.begin(), children.end(), [](const Child& c) { return c.pid > 0; });
  };
  while (running() && Clock::now() < deadline) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (Child& c : children) {
        if (c.pid == pid) c.pid = -1;
      }
      continue;
    }
    ::usleep(20'000);
  }
  for (Child& c : children) {
    if (c.pid > 0) {
      std::fprintf(stderr, "dynobs serve: %s did not stop in 10 s; killing it\n", c.name.c_str());
      ::kill(c.pid, SIGKILL);
      ::waitpid(c.pid, nullptr, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::fprintf(stderr, "dynobs serve: stopped\n");
  return 0;
}

}  // namespace dynobs::app
