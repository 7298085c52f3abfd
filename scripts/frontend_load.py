#!/usr/bin/env python3
"""Frontend throughput and client-side latency (docs/performance.md, issue 5 §6): `dynobs serve
--zero-delay` (a frontend and two workers) driven by `dynobs bench` (64 clients, streaming chat,
32 output tokens), with observability off and on, modes interleaved, medians of --repeat runs.

  off: DYN_LOG=warn, tracing not exported, no scrapes.
  on:  JSONL logs at INFO, every span and log exported over OTLP/HTTP to a local receiver
       (tests/interop/otlp-receiver), every process's /metrics scraped every second.

  scripts/frontend_load.py build/release/bin/dynobs [--repeat 5] [--requests 6000]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
import testlib  # noqa: E402


def run(dynobs, mode, requests, receiver):
    port = testlib.free_port()
    env = {"DYN_LOG": "warn"}
    if mode == "on":
        env = {"DYN_LOG": "info", "DYN_LOGGING_JSONL": "1", "OTEL_EXPORT_ENABLED": "true",
               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
               "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http, "OTEL_TRACES_SAMPLER": "always_on"}
    log = open(os.devnull, "w")
    serve = subprocess.Popen([dynobs, "serve", "--http-port", str(port), "--zero-delay"],
                             env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=log,
                             text=True)
    banner = ""
    while "discovery" not in banner:
        banner += serve.stdout.readline()
    ports = sorted({int(p) for p in re.findall(r"localhost:(\d+)/metrics", banner)})

    def ready():
        try:
            return "mock-llm" in testlib.http_get(f"http://127.0.0.1:{port}/v1/models")[2]\
                .decode()
        except OSError:
            return False
    testlib.wait_for(ready, timeout=20, what="the frontend")
    stop = threading.Event()

    def scrape():
        while not stop.wait(1.0):
            for p in ports:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=5).read()
                except OSError:
                    pass
    scraper = threading.Thread(target=scrape)
    if mode == "on":
        scraper.start()
    bench = [dynobs, "bench", "--port", str(port), "--concurrency", "64", "--max-tokens", "32",
             "--quiet"]
    subprocess.run(bench + ["--requests", "500"], capture_output=True)  # warm up
    out = subprocess.run(bench + ["--requests", str(requests)], capture_output=True, text=True)
    stop.set()
    if mode == "on":
        scraper.join()
    serve.send_signal(2)
    serve.wait(30)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["failed"] == 0, result
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dynobs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=6000)
    args = parser.parse_args()
    receiver = testlib.OtlpReceiver(os.path.join(HERE, "..", "tests", "interop",
                                                 "otlp-receiver"))
    results = {"off": [], "on": []}
    try:
        for rep in range(args.repeat):
            for mode in ("off", "on"):
                r = run(args.dynobs, mode, args.requests, receiver)
                results[mode].append(r)
                print(f"  run {rep + 1} [{mode}]: {r['requests_per_second']} req/s, "
                      f"{r['tokens_per_second']} tokens/s, TTFT p50 {r['ttft_p50_ms']} ms "
                      f"p99 {r['ttft_p99_ms']} ms", file=sys.stderr)
    finally:
        receiver.stop()
    keys = ("requests_per_second", "tokens_per_second", "ttft_p50_ms", "ttft_p99_ms")
    print("| observability | requests/s | tokens/s | TTFT p50 ms | TTFT p99 ms |")
    print("|---|---|---|---|---|")
    med = {}
    for mode in ("off", "on"):
        med[mode] = {k: statistics.median(r[k] for r in results[mode]) for k in keys}
        m = med[mode]
        print(f"| {mode} | {m['requests_per_second']:,.0f} | {m['tokens_per_second']:,.0f} | "
              f"{m['ttft_p50_ms']:.2f} | {m['ttft_p99_ms']:.2f} |")
    ratio = med["on"]["requests_per_second"] / med["off"]["requests_per_second"]
    print(f"\non/off throughput {ratio:.3f}; medians of {args.repeat}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
