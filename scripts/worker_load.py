#!/usr/bin/env python3
"""Request-plane throughput of one `dynobs worker --zero-delay` driven by one `dynobs call
--concurrency` process, with the worker's observability on and off (docs/performance.md).

For each scenario and mode it starts a fresh worker, runs the load REPEAT times (modes
interleaved, so that machine noise hits both alike) and reports the medians of the caller's
throughput and of the worker's CPU time per token (utime + stime from /proc). The cost of
observability is the ratio of the worker's CPU per token on and off.

  scripts/worker_load.py build/release/bin/dynobs [--repeat 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCENARIOS = [
    # name, concurrency, requests, max_tokens
    ("1 stream x 20000 tokens", 1, 10, 20000),
    ("8 streams x 20000 tokens", 8, 40, 20000),
    ("64 streams x 16 tokens", 64, 20000, 16),
]

MODES = {
    # Everything on: work-handler metrics, handle_payload spans, request logs at INFO (JSONL),
    # written to a file as a deployment would ship them.
    "on": (["--zero-delay"], {"DYN_LOG": "info", "DYN_LOGGING_JSONL": "1"}),
    # Metrics and spans on, request logs filtered out (WARN): what the logs cost, by difference.
    "on, logs at WARN": (["--zero-delay"], {"DYN_LOG": "warn"}),
    # The baseline: no work-handler metrics, spans or request logs; WARN and above only.
    "off": (["--zero-delay", "--no-observability"], {"DYN_LOG": "warn"}),
}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(dynobs, args, env, concurrency, requests, max_tokens, workdir):
    full = dict(os.environ, DYN_SYSTEM_PORT="-1", DYN_DISCOVERY_BACKEND="file",
                DYN_DISCOVERY_DIR=os.path.join(workdir, "discovery"), **env)
    with open(os.path.join(workdir, "worker.log"), "w") as log:
        worker = subprocess.Popen([dynobs, "worker", *args], env=full, stdout=log, stderr=log)
    try:
        call = [dynobs, "call", "--wait-instances", "1", "--max-tokens", str(max_tokens)]
        # Warm up: connections, allocator, caches.
        subprocess.run(call + ["--concurrency", str(concurrency), "--requests",
                               str(concurrency * 2)], env=full, capture_output=True, check=True)
        before = cpu_seconds(worker.pid)
        out = subprocess.run(call + ["--concurrency", str(concurrency), "--requests",
                                     str(requests)], env=full, capture_output=True, text=True,
                             check=True)
        after = cpu_seconds(worker.pid)
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        assert summary["failed"] == 0, summary
        summary["worker_cpu_ns_per_item"] = (after - before) * 1e9 / summary["items"]
        return summary
    finally:
        worker.terminate()
        worker.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dynobs")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="dynobs-load-") as workdir:
        for name, concurrency, requests, max_tokens in SCENARIOS:
            for rep in range(args.repeat):
                for mode, (flags, env) in MODES.items():
                    r = run(args.dynobs, flags, env, concurrency, requests, max_tokens, workdir)
                    results.setdefault((name, mode), []).append(r)
                    print(f"  {name} [{mode}] run {rep + 1}: {r['items_per_second']:,.0f} "
                          f"tokens/s, {r['requests_per_second']:,.0f} req/s, worker "
                          f"{r['worker_cpu_ns_per_item']:.0f} ns CPU/token", file=sys.stderr)
    print(f"| scenario | observability | tokens/s | requests/s | worker CPU ns/token |")
    print("|---|---|---|---|---|")
    for name, *_ in SCENARIOS:
        med = {}
        for mode in MODES:
            rs = results[(name, mode)]
            med[mode] = {k: statistics.median(r[k] for r in rs)
                         for k in ("items_per_second", "requests_per_second",
                                   "worker_cpu_ns_per_item")}
            print(f"| {name} | {mode} | {med[mode]['items_per_second']:,.0f} | "
                  f"{med[mode]['requests_per_second']:,.0f} | "
                  f"{med[mode]['worker_cpu_ns_per_item']:.0f} |")
        for mode in ("on", "on, logs at WARN"):
            cost = med[mode]["worker_cpu_ns_per_item"] / med["off"]["worker_cpu_ns_per_item"] - 1
            tput = med[mode]["items_per_second"] / med["off"]["items_per_second"]
            print(f"| {name} | cost of {mode} | throughput vs off {tput:.3f} | | "
                  f"CPU/token {cost * 100:+.1f} % |")
    print(f"\nmedians of {args.repeat} runs, modes interleaved; {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
