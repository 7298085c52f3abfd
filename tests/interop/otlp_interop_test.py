#!/usr/bin/env python3
"""Interop checks of dynobs's OTLP exporters against an independent decoder.

The decoder is tests/interop/otlp-receiver (a copy of shared/tools/otlp-receiver): a strict OTLP
receiver built on the OpenTelemetry project's generated protobuf code, with fault injection.
otlp_export_fixture exports known spans and log records, configured by the OTEL_* variables
exactly as a dynobs process is, and prints what it sent; this test checks that

  * for grpc, http/protobuf and http/json, with and without gzip, traces and logs: the receiver's
    check_spans.js / check_logs.js pass (--strict), and every record holds exactly the names, ids,
    parent links, times, attributes (values and types), events, status, flags, trace state,
    resource and scope that were sent, once;
  * --fail-first N (503 + Retry-After, UNAVAILABLE + RetryInfo): retries deliver every span
    exactly once (check_spans fails on duplicates);
  * collector down: ending spans never blocks, drops and failures are counted, memory stays flat,
    shutdown keeps its time bound;
  * collector slow (--delay-ms past the timeout): timeouts counted, no hang;
  * an invalid setting stops the process with one line naming it.

The receiver's npm dependencies are installed on first use (npm ci --omit=dev) into
tests/interop/otlp-receiver/node_modules, which git ignores.
"""
import argparse
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

ARGS = None
PROTOCOLS = ("grpc", "http/protobuf", "http/json")


def ensure_receiver_deps(receiver_dir):
    testlib.ensure_receiver_deps(receiver_dir)


class Receiver(testlib.OtlpReceiver):
    def __init__(self, *flags):
        super().__init__(ARGS.receiver, *flags)


def expect_fields(test, expected, actual, path=""):
    """Every field of `expected` in `actual`: attribute maps exactly, other objects by field."""
    if isinstance(expected, dict):
        test.assertIsInstance(actual, dict, path)
        for key, value in expected.items():
            test.assertIn(key, actual, path)
            if key in ("attributes", "attributeTypes"):
                test.assertEqual(actual[key], value, f"{path}.{key}")
            else:
                expect_fields(test, value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        test.assertIsInstance(actual, list, path)
        test.assertEqual(len(actual), len(expected), path)
        for i, (e, a) in enumerate(zip(expected, actual)):
            expect_fields(test, e, a, f"{path}[{i}]")
    else:
        test.assertEqual(actual, expected, path)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_fixture(env, *args, timeout=120):
    """Runs the fixture with only the given OTEL_* variables; returns (rc, stdout JSON, stderr)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full.update(env)
    start = time.monotonic()
    r = subprocess.run([ARGS.fixture, *args], env=full, capture_output=True, text=True,
                       timeout=timeout)
    elapsed = time.monotonic() - start
    out = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None
    if out is not None:
        out["wall_s"] = elapsed
    return r.returncode, out, r.stderr


def run_name(protocol, gzip):
    return "fx-" + protocol.replace("/", "-") + ("-gzip" if gzip else "")


def run_env(receiver, protocol, gzip):
    """Each run reaches the receiver through a different endpoint rule."""
    env = {"OTEL_EXPORT_ENABLED": "true", "OTEL_SERVICE_NAME": run_name(protocol, gzip),
           "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip" if gzip else "none"}
    base = receiver.endpoint(protocol)
    if protocol == "grpc" and gzip:
        # Dynamo's rule: logs follow OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = base
    elif protocol == "http/json" and gzip:
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
        env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = protocol
        env["OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"] = protocol
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = base + "/v1/traces"
        env["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"] = base + "/v1/logs"
    else:
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = base
    return env


class ExportMatrixTest(unittest.TestCase):
    """Every protocol, with and without gzip, traces and logs, into one receiver."""

    EXTRA = 600  # more than one batch (512) of each signal

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.runs = {}
        for protocol in PROTOCOLS:
            for gzip in (False, True):
                env = run_env(cls.receiver, protocol, gzip)
                rc, out, err = run_fixture(env, "send", "--extra", str(cls.EXTRA))
                assert rc == 0, f"fixture failed for {env}: {err}"
                cls.runs[(protocol, gzip)] = out
        cls.spans = cls.receiver.records("spans.jsonl")
        cls.logs = cls.receiver.records("logs.jsonl")

    @classmethod
    def tearDownClass(cls):
        cls.receiver.stop()

    def test_check_spans_passes_strict(self):
        services = [a for key in self.runs for a in ("--service", run_name(*key))]
        total = sum(len(r["spans"]) for r in self.runs.values())
        rc, out = self.receiver.check("check_spans.js", "--strict", "--count", str(total),
                                      *services)
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS", out)

    def test_check_logs_passes_strict_and_matches_spans(self):
        total = sum(len(r["logs"]) for r in self.runs.values())
        rc, out = self.receiver.check("check_logs.js", "--strict", "--require-span-match",
                                      "--count", str(total))
        self.assertEqual(rc, 0, out)

    def test_every_span_arrived_once_exactly_as_sent(self):
        got = {}
        for s in self.spans:
            key = (s["traceId"], s["spanId"])
            self.assertNotIn(key, got, "duplicate span")
            got[key] = s
        for (protocol, gzip), run in self.runs.items():
            transport = "grpc" if protocol == "grpc" else "http"
            encoding = "json" if protocol == "http/json" else "protobuf"
            for sent in run["spans"]:
                with self.subTest(run=run["service"], span=sent["name"]):
                    s = got.get((sent["traceId"], sent["spanId"]))
                    self.assertIsNotNone(s, "span not received")
                    expect_fields(self, sent, s)
                    self.assertEqual(s["resource"], {"service.name": run["service"]})
                    self.assertEqual(s["scope"]["name"], run["service"])
                    self.assertEqual(s["parentIsRemote"], sent["flags"] & 0x200 != 0)
                    self.assertEqual((s["transport"], s["encoding"]), (transport, encoding))
                    if transport == "http":
                        self.assertEqual(s["compression"], "gzip" if gzip else "identity")
                    self.assertEqual((s["problems"], s["warnings"]), ([], []))

    def test_every_log_record_arrived_once_exactly_as_sent(self):
        got = {}
        for r in self.logs:
            key = (r["serviceName"], r["timeUnixNano"], r["body"])
            self.assertNotIn(key, got, "duplicate record")
            got[key] = r
        for run in self.runs.values():
            for sent in run["logs"]:
                with self.subTest(run=run["service"], body=sent["body"]):
                    r = got.get((run["service"], sent["timeUnixNano"], sent["body"]))
                    self.assertIsNotNone(r, "record not received")
                    expect_fields(self, {k: v for k, v in sent.items() if k != "scope"}, r)
                    self.assertEqual(r["scope"]["name"], sent["scope"])
                    self.assertEqual(r["bodyType"], "string")
                    self.assertEqual(r["resource"], {"service.name": run["service"]})
                    self.assertEqual((r["problems"], r["warnings"]), ([], []))

    def test_metrics_count_every_export_and_no_loss(self):
        for key, run in self.runs.items():
            with self.subTest(run=key):
                m = run["metrics"]
                self.assertTrue(run["flush_ok"])
                self.assertEqual(m["traces"]["exported"], len(run["spans"]))
                self.assertEqual(m["logs"]["exported"], len(run["logs"]))
                for signal_name in ("traces", "logs"):
                    s = m[signal_name]
                    self.assertEqual(s["retries"], 0)
                    self.assertEqual(sum(s["failures"].values()), 0)
                    self.assertEqual(s["dropped_queue_full"] + s["dropped_export_failed"], 0)


class ConfigErrorTest(unittest.TestCase):
    def test_invalid_setting_stops_the_process_with_one_line(self):
        rc, _, err = run_fixture({"OTEL_EXPORT_ENABLED": "1",
                                  "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http"}, "send")
        self.assertEqual(rc, 2)
        self.assertEqual(err, 'dynobs: invalid OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http": '
                              'expected grpc, http/protobuf or http/json\n')
        rc, _, err = run_fixture({"OTEL_BSP_EXPORT_TIMEOUT": "soon"}, "send")
        self.assertEqual(rc, 2)
        self.assertEqual(err.count("\n"), 1)
        self.assertIn("OTEL_BSP_EXPORT_TIMEOUT", err)


class FaultTest(unittest.TestCase):
    def traces_only(self, protocol, endpoint, **extra):
        env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
               "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
               "OTEL_SERVICE_NAME": "fault-" + protocol.replace("/", "-")}
        env.update(extra)
        return env

    def test_fail_first_retries_deliver_every_span_exactly_once(self):
        for protocol in ("http/protobuf", "grpc"):
            with self.subTest(protocol=protocol):
                receiver = Receiver("--fail-first", "2")
                try:
                    env = self.traces_only(protocol, receiver.endpoint(protocol))
                    rc, out, err = run_fixture(env, "send", "--extra", "20",
                                               "--shutdown-ms", "10000")
                    self.assertEqual(rc, 0, err)
                    m = out["metrics"]["traces"]
                    self.assertEqual(m["exported"], len(out["spans"]))
                    self.assertEqual(m["retries"], 2)
                    self.assertEqual(m["failures"]["unavailable"], 2)
                    self.assertEqual(m["dropped_export_failed"], 0)
                    # Retry-After: 1 / RetryInfo 1s were honoured (two waits of a second).
                    self.assertGreaterEqual(out["flush_ms"], 1900)
                    rc, text = receiver.check("check_spans.js", "--strict", "--count",
                                              str(len(out["spans"])))
                    self.assertEqual(rc, 0, text)
                    self.assertIn("fault=\"--fail-first 2/2\"", receiver.read_log())
                finally:
                    receiver.stop()

    def test_collector_down_never_blocks_counts_drops_and_keeps_memory_flat(self):
        for protocol in ("grpc", "http/protobuf"):
            with self.subTest(protocol=protocol):
                env = self.traces_only(protocol, f"http://127.0.0.1:{closed_port()}",
                                       OTEL_LOGS_EXPORTER="otlp", OTEL_BSP_SCHEDULE_DELAY="100",
                                       OTEL_BSP_EXPORT_TIMEOUT="500",
                                       OTEL_BLRP_SCHEDULE_DELAY="100",
                                       OTEL_BLRP_EXPORT_TIMEOUT="500")
                rc, out, err = run_fixture(env, "load", "--seconds", "4", "--threads", "2",
                                           "--shutdown-ms", "1000")
                self.assertEqual(rc, 0, err)
                m = out["metrics"]
                self.assertGreater(out["on_end_calls"], 100000)
                # Never blocks: the worst OnEnd on a shared 2-core VM stays far below any export
                # timeout (500 ms); p99 stays far below a millisecond even beside other tests.
                self.assertLess(out["on_end_max_ns"], 200_000_000, out)
                self.assertLess(out["on_end_p99_ns"], 500_000, out)
                offered = {"traces": out["on_end_calls"], "logs": out["records_offered"]}
                for signal_name in ("traces", "logs"):
                    s = m[signal_name]
                    self.assertEqual(s["exported"], 0)
                    # Every record is counted once: a full queue, a failed export, or shutdown.
                    self.assertEqual(s["dropped_queue_full"] + s["dropped_export_failed"] +
                                     s["dropped_shutdown"], offered[signal_name], s)
                    self.assertGreater(s["dropped_export_failed"], 0)
                    self.assertGreater(s["failures"]["connection"] + s["failures"]["unavailable"],
                                       0, s)
                self.assertGreater(m["traces"]["dropped_queue_full"], 0)
                # Memory: flat once the queues are full (after the first second). Under ASan the
                # quarantine of freed blocks grows RSS by design, so only a release build tells.
                rss = out["rss_kb"][4:]
                if not out["asan"]:
                    self.assertLess(max(rss) - min(rss), 8 * 1024, out["rss_kb"])
                self.assertLess(out["finish_ms"], 1000 + 1000 + 1500, out)
                self.assertLess(out["wall_s"], 4 + 4)

    def test_slow_collector_times_out_without_hanging(self):
        for protocol in ("grpc", "http/json"):
            with self.subTest(protocol=protocol):
                receiver = Receiver("--delay-ms", "3000")
                try:
                    env = self.traces_only(protocol, receiver.endpoint(protocol),
                                           OTEL_EXPORTER_OTLP_TIMEOUT="300",
                                           OTEL_BSP_EXPORT_TIMEOUT="1000")
                    rc, out, err = run_fixture(env, "send", "--shutdown-ms", "1500")
                    self.assertEqual(rc, 0, err)
                    m = out["metrics"]["traces"]
                    self.assertGreaterEqual(m["failures"]["timeout"], 1, m)
                    self.assertEqual(m["exported"], 0)
                    self.assertEqual(m["dropped_export_failed"] + m["dropped_shutdown"],
                                     len(out["spans"]))
                    self.assertFalse(out["flush_ok"])
                    # Flush gave up after its 1.5 s; shutdown kept its bound too.
                    self.assertLess(out["finish_ms"], 1500 + 1500 + 1000, out)
                finally:
                    receiver.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--receiver", required=True, help="otlp-receiver directory")
    ARGS, rest = parser.parse_known_args()
    ensure_receiver_deps(ARGS.receiver)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
