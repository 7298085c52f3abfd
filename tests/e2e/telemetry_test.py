#!/usr/bin/env python3
"""End-to-end: a `dynobs worker` with JSONL logs and OTLP export on, against the OTLP receiver
(OpenTelemetry's own generated decoder). Its system routes make DEBUG `http-request` spans
(target system_span) that join the caller's trace; its log lines carry the span context and
reach the collector as OTLP log records."""
import argparse
import json
import os
import signal
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

ARGS = None
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
JSONL_KEYS_HEAD = ["time", "level", "file", "line", "target", "message"]


class WorkerTelemetry(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = testlib.OtlpReceiver(ARGS.receiver)
        cls.worker = testlib.Process([ARGS.dynobs, "worker"], stdin=None, env={
            "DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_HOST": "127.0.0.1",
            "DYN_LOGGING_JSONL": "1", "DYN_LOG": "info,system_span=debug",
            "DYN_DISCOVERY_BACKEND": "mem",
            "OTEL_EXPORT_ENABLED": "true", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": cls.receiver.http,
            "OTEL_SERVICE_NAME": "dynobs-worker-e2e",
            "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_BLRP_SCHEDULE_DELAY": "100"})
        line = cls.worker.wait_line(lambda l: "system status server bound to" in l)
        cls.port = int(json.loads(line)["message"].rsplit(":", 1)[1])
        cls.worker.wait_line(lambda l: "worker started" in l)  # ready from here on
        req = urllib.request.Request(
            f"http://127.0.0.1:{cls.port}/health",
            headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "tracestate": "vendor=x"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200, r.status
        cls.spans = testlib.wait_for(
            lambda: [s for s in cls.receiver.records("spans.jsonl")
                     if s["traceId"] == TRACE_ID], timeout=20, what="the span at the receiver")
        cls.worker.proc.send_signal(signal.SIGTERM)
        cls.rc = cls.worker.proc.wait(15)
        cls.worker.stop()
        time.sleep(0.2)
        cls.logs = cls.receiver.records("logs.jsonl")

    @classmethod
    def tearDownClass(cls):
        cls.receiver.stop()

    def test_exits_cleanly(self):
        self.assertEqual(self.rc, 0)

    def test_system_span_joins_the_callers_trace(self):
        self.assertEqual(len(self.spans), 1)
        s = self.spans[0]
        self.assertEqual(s["name"], "http-request")
        self.assertEqual(s["parentSpanId"], PARENT_ID)
        self.assertEqual(s["traceState"], "vendor=x")
        self.assertEqual(s["resource"], {"service.name": "dynobs-worker-e2e"})
        attrs = s["attributes"]
        self.assertEqual(attrs["method"], "GET")
        self.assertEqual(attrs["uri"], "/health")
        self.assertEqual(attrs["status"], 200)

    def test_stderr_is_jsonl_in_dynamos_key_order(self):
        lines = [json.loads(l) for l in self.worker.stderr_lines]
        self.assertGreater(len(lines), 3)
        for rec in lines:
            keys = list(rec)
            head = JSONL_KEYS_HEAD if "file" in rec else [k for k in JSONL_KEYS_HEAD
                                                           if k not in ("file", "line")]
            self.assertEqual(keys[:len(head)], head, rec)
            self.assertEqual(keys[len(head):], sorted(keys[len(head):]), rec)
        messages = [r["message"] for r in lines]
        self.assertIn("worker started", messages)
        self.assertIn("OpenTelemetry OTLP export enabled (traces and logs)", messages)

    def test_logs_reach_the_collector(self):
        bodies = [r["body"] for r in self.logs]
        self.assertIn("worker started", bodies)
        self.assertIn("worker stopped", bodies)  # flushed at shutdown
        for r in self.logs:
            self.assertEqual(r["resource"], {"service.name": "dynobs-worker-e2e"})
        code, out = self.receiver.check("check_logs.js", "--strict")
        self.assertEqual(code, 0, out)
        code, out = self.receiver.check("check_spans.js", "--strict")
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    parser.add_argument("--receiver", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
