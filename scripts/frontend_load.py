#!/usr/bin/env python3
"""Frontend throughput, client-side latency and where the CPU goes (docs/performance.md,
issue 5 §6): `dynobs serve` (a frontend and two workers, zero-delay unless --speedup) driven by
`dynobs bench` (64 clients, streaming chat, 32 output tokens), modes interleaved, medians of
--repeat runs.

Modes (--modes, comma-separated):
  off:     DYN_LOG=warn, tracing not exported, no scrapes (the issue's baseline).
  on:      the issue's "on": JSONL logs at INFO (written to a file), every span exported over
           OTLP/HTTP to a local receiver (tests/interop/otlp-receiver, OpenTelemetry's generated
           decoder, in Node, on the same cores), every process's /metrics scraped every second.
  on-logs: on, and the log records exported over OTLP too (what OTEL_EXPORT_ENABLED does
           unless OTEL_LOGS_EXPORTER=none).
  on-sink: on, but OTLP goes to scripts/otlp_sink.py, which takes the requests and decodes
           nothing (a collector running elsewhere, not on these cores).
  logs:    JSONL logs at INFO only.        export: off + spans exported to the receiver only.
  scrape:  off + the 1 s scrapes only.
  split:   off + one DEBUG line per request from the workers (target
           dynobs::runtime::request_plane::first_response: the worker's time from the request's
           arrival to its first response item) paired by x-request-id with the client's TTFT:
           the frontend's added TTFT = client TTFT - worker TTFR, p50 and p99.

Each run also reports the CPU seconds each process used during the measured load (frontend,
workers, receiver, bench) and the dynobs processes' CPU per request.

  scripts/frontend_load.py build/release/bin/dynobs [--repeat 5] [--requests 6000]
      [--modes off,on] [--speedup 1]
"""
import argparse
import json
import os
import re
import shutil
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import testlib  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    kids = {}
    for line in out.splitlines():
        p, args = line.strip().split(None, 1)
        kids[int(p)] = "frontend" if " frontend " in f" {args} " else "workers"
    return kids


class Sink:
    """scripts/otlp_sink.py on a free port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="otlp-sink-")
        ready = os.path.join(self.dir, "ready.json")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "otlp_sink.py"),
                                      "--ready-file", ready])
        testlib.wait_for(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0,
                         timeout=10, what="the OTLP sink")
        with open(ready) as f:
            self.http = "http://" + json.load(f)["http"]

    def stats(self):
        return json.loads(testlib.http_get(self.http + "/stats")[2])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


# What each mode turns on: INFO logs (to a file), OTLP export, 1 s scrapes.
INFO_LOGS = {"on", "on-logs", "on-sink", "logs"}
EXPORT = {"on", "on-logs", "on-sink", "export"}
SCRAPE = {"on", "on-logs", "on-sink", "scrape"}


def mode_env(mode, receiver, sink):
    if mode == "split":
        return {"DYN_LOG": "warn,dynobs::runtime::request_plane::first_response=debug",
                "DYN_LOGGING_JSONL": "1"}
    env = {"DYN_LOG": "warn"}
    if mode in INFO_LOGS:
        env = {"DYN_LOG": "info", "DYN_LOGGING_JSONL": "1"}
    if mode in EXPORT:
        env.update({"OTEL_EXPORT_ENABLED": "true", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": (sink if mode == "on-sink" else receiver).http,
                    "OTEL_TRACES_SAMPLER": "always_on",
                    "OTEL_LOGS_EXPORTER": "otlp" if mode == "on-logs" else "none"})
    if mode == "export":
        env["DYN_LOGGING_JSONL"] = "1"  # the OTLP layers come with JSONL; stderr stays at WARN
    return env


def added_ttft(log_path, samples_path):
    worker = {}
    with open(log_path) as f:
        for line in f:
            if '"first response sent"' in line:
                r = json.loads(line)
                worker[r["x_request_id"]] = r["ttfr_ms"]
    added, ttfr = [], []
    with open(samples_path) as f:
        for line in f:
            r = json.loads(line)
            if r["ok"] and r["x_request_id"] in worker:
                added.append(r["ttft_ms"] - worker[r["x_request_id"]])
                ttfr.append(worker[r["x_request_id"]])
    added.sort()
    ttfr.sort()
    pick = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]  # noqa: E731
    return {"paired": len(added), "added_ttft_p50_ms": pick(added, 0.5),
            "added_ttft_p99_ms": pick(added, 0.99), "worker_ttfr_p50_ms": pick(ttfr, 0.5),
            "worker_ttfr_p99_ms": pick(ttfr, 0.99)}


def run(dynobs, mode, requests, receiver, sink, speedup):
    port = testlib.free_port()
    work = tempfile.mkdtemp(prefix="frontend-load-")
    log_path = os.path.join(work, "stderr.log")
    log = open(log_path if mode in INFO_LOGS or mode == "split" else os.devnull, "w")
    speed = ["--speedup", str(speedup)] if speedup else ["--zero-delay"]
    serve = subprocess.Popen([dynobs, "serve", "--http-port", str(port), *speed],
                             env=dict(os.environ, **mode_env(mode, receiver, sink)),
                             stdout=subprocess.PIPE, stderr=log, text=True)
    banner = ""
    while "discovery" not in banner:
        banner += serve.stdout.readline()
    ports = sorted({int(p) for p in re.findall(r"localhost:(\d+)/metrics", banner)})
    testlib.wait_for_model(f"http://127.0.0.1:{port}", timeout=20)
    stop = threading.Event()

    def scrape():
        while not stop.wait(1.0):
            for p in ports:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=5).read()
                except OSError:
                    pass
    scraper = threading.Thread(target=scrape)
    if mode in SCRAPE:
        scraper.start()
    bench = [dynobs, "bench", "--port", str(port), "--concurrency", "64", "--max-tokens", "32",
             "--quiet"]
    subprocess.run(bench + ["--requests", "500"], capture_output=True)  # warm up
    procs = children(serve.pid)
    procs[receiver.proc.pid] = "receiver"
    procs[sink.proc.pid] = "receiver"
    before = {p: cpu_seconds(p) for p in procs}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples = os.path.join(work, "samples.jsonl")
    extra = ["--samples", samples] if mode == "split" else []
    out = subprocess.run(bench + ["--requests", str(requests), *extra], capture_output=True,
                         text=True)
    after_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {"frontend": 0.0, "workers": 0.0, "receiver": 0.0}
    for p, role in procs.items():
        cpu[role] += cpu_seconds(p) - before[p]
    cpu["bench"] = (after_usage.ru_utime + after_usage.ru_stime) - (usage.ru_utime + usage.ru_stime)
    stop.set()
    if scraper.is_alive():
        scraper.join()
    serve.send_signal(2)
    serve.wait(30)
    log.close()
    if mode == "on-sink":
        taken = sink.stats()
        assert taken["bad"] == 0 and taken["bytes"] > 0, taken
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["failed"] == 0, result
    result["cpu"] = cpu
    result["dynobs_cpu_us_per_request"] = (cpu["frontend"] + cpu["workers"]) / requests * 1e6
    if mode == "split":
        result.update(added_ttft(log_path, samples))
    shutil.rmtree(work, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dynobs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--modes", default="off,on,on-sink,split")
    parser.add_argument("--speedup", type=float, default=0,
                        help="workers' engine speedup (default: zero-delay)")
    args = parser.parse_args()
    modes = args.modes.split(",")
    receiver = testlib.OtlpReceiver(os.path.join(HERE, "..", "tests", "interop",
                                                 "otlp-receiver"))
    sink = Sink()
    results = {m: [] for m in modes}
    try:
        for rep in range(args.repeat):
            for mode in modes:
                r = run(args.dynobs, mode, args.requests, receiver, sink, args.speedup)
                results[mode].append(r)
                c = r["cpu"]
                line = (f"  run {rep + 1} [{mode}]: {r['requests_per_second']} req/s, TTFT p50 "
                        f"{r['ttft_p50_ms']} p99 {r['ttft_p99_ms']} ms; CPU s frontend "
                        f"{c['frontend']:.2f} workers {c['workers']:.2f} receiver "
                        f"{c['receiver']:.2f} bench {c['bench']:.2f}; dynobs "
                        f"{r['dynobs_cpu_us_per_request']:.0f} us/request")
                if mode == "split":
                    line += (f"; added TTFT p50 {r['added_ttft_p50_ms']:.2f} p99 "
                             f"{r['added_ttft_p99_ms']:.2f} ms ({r['paired']} paired)")
                print(line, file=sys.stderr)
    finally:
        receiver.stop()
        sink.stop()
    keys = ("requests_per_second", "tokens_per_second", "ttft_p50_ms", "ttft_p99_ms",
            "dynobs_cpu_us_per_request")
    print("| observability | requests/s | tokens/s | TTFT p50 ms | TTFT p99 ms | dynobs CPU "
          "us/request | CPU s: frontend / workers / receiver / bench |")
    print("|---|---|---|---|---|---|---|")
    med = {}
    for mode in modes:
        med[mode] = {k: statistics.median(r[k] for r in results[mode]) for k in keys}
        cpu = {k: statistics.median(r["cpu"][k] for r in results[mode])
               for k in ("frontend", "workers", "receiver", "bench")}
        m = med[mode]
        print(f"| {mode} | {m['requests_per_second']:,.0f} | {m['tokens_per_second']:,.0f} | "
              f"{m['ttft_p50_ms']:.2f} | {m['ttft_p99_ms']:.2f} | "
              f"{m['dynobs_cpu_us_per_request']:.0f} | {cpu['frontend']:.2f} / "
              f"{cpu['workers']:.2f} / {cpu['receiver']:.2f} / {cpu['bench']:.2f} |")
    if "split" in modes:
        s = {k: statistics.median(r[k] for r in results["split"])
             for k in ("added_ttft_p50_ms", "added_ttft_p99_ms", "worker_ttfr_p50_ms",
                       "worker_ttfr_p99_ms")}
        print(f"\nfrontend added TTFT p50 {s['added_ttft_p50_ms']:.2f} ms, p99 "
              f"{s['added_ttft_p99_ms']:.2f} ms (worker TTFR p50 {s['worker_ttfr_p50_ms']:.3f}, "
              f"p99 {s['worker_ttfr_p99_ms']:.3f} ms)")
    if "off" in modes:
        for mode in modes:
            if mode != "off":
                ratio = med[mode]["requests_per_second"] / med["off"]["requests_per_second"]
                print(f"{mode}/off throughput {ratio:.3f}")
    print(f"medians of {args.repeat}; {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
