#!/usr/bin/env python3
"""End-to-end: one request's trace across processes. `dynobs serve` (a frontend, two workers)
runs with JSONL logs, span events and OTLP export to the OTLP receiver (OpenTelemetry's own
generated decoder). A chat completion sent without trace context must give one trace whose root
is the frontend's `http-request` span, with the router's `router.route_request` and the worker's
`handle_payload` beneath it, in the OTLP spans (three services) and in the JSONL lines, and the
frontend's and the worker's `request completed` logs must carry that trace, in both."""
import argparse
import json
import os
import signal
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

ARGS = None


class RequestTrace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = testlib.OtlpReceiver(ARGS.receiver)
        port = testlib.free_port()
        cls.serve = testlib.Process(
            [ARGS.dynobs, "serve", "--workers", "2", "--http-port", str(port), "--jsonl",
             "--otlp-endpoint", cls.receiver.grpc, "--zero-delay"],
            stdin=None,
            env={"DYN_LOGGING_SPAN_EVENTS": "1", "OTEL_BSP_SCHEDULE_DELAY": "100",
                 "OTEL_BLRP_SCHEDULE_DELAY": "100"})
        base = f"http://127.0.0.1:{port}"
        testlib.wait_for_model(base, "mock-llm", timeout=20)
        testlib.wait_for(lambda: len(json.loads(testlib.http_get(base + "/health")[2])
                                     ["instances"]) == 2, timeout=20, what="both workers")
        req = urllib.request.Request(
            base + "/v1/chat/completions", method="POST",
            headers={"Content-Type": "application/json", "x-request-id": "trace-e2e-1"},
            data=json.dumps({"model": "mock-llm", "max_tokens": 3, "stream": True,
                             "messages": [{"role": "user", "content": "follow me"}]}).encode())
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200, r.status
            cls.body = r.read().decode()

        def root():
            return [s for s in cls.receiver.records("spans.jsonl")
                    if s["name"] == "http-request"
                    and s["resource"].get("service.name") == "dynobs-frontend"]
        cls.root = testlib.wait_for(root, timeout=20, what="the http-request span")[0]
        cls.trace_id = cls.root["traceId"]

        def whole():
            spans = [s for s in cls.receiver.records("spans.jsonl")
                     if s["traceId"] == cls.trace_id]
            logs = [l for l in cls.receiver.records("logs.jsonl")
                    if l.get("traceId") == cls.trace_id]
            names = {s["name"] for s in spans}
            completed = [l for l in logs if l["body"] == "request completed"]
            return (spans, logs) if {"handle_payload", "router.route_request"} <= names \
                and len(completed) == 2 else None
        cls.spans, cls.logs = testlib.wait_for(whole, timeout=20, what="the whole trace")
        cls.serve.proc.send_signal(signal.SIGINT)
        cls.serve.proc.wait(20)
        cls.serve.stop()
        cls.jsonl = []
        for line in cls.serve.stderr_lines:
            try:
                cls.jsonl.append(json.loads(line))
            except ValueError:
                pass

    @classmethod
    def tearDownClass(cls):
        cls.receiver.stop()

    def test_the_stream_was_answered(self):
        self.assertIn("data: [DONE]", self.body)

    def test_otlp_root_is_the_frontends_http_request(self):
        self.assertIn(self.root.get("parentSpanId", ""), ("", None))
        attrs = self.root["attributes"]
        self.assertEqual(attrs["method"], "POST")
        self.assertEqual(attrs["uri"], "/v1/chat/completions")
        self.assertEqual(attrs["model"], "mock-llm")
        self.assertEqual(attrs["output_tokens"], 3)  # summary fields, recorded at the end
        roots = [s for s in self.spans if not s.get("parentSpanId")]
        self.assertEqual([s["spanId"] for s in roots], [self.root["spanId"]])

    def test_otlp_worker_span_is_a_child_in_another_process(self):
        [payload] = [s for s in self.spans if s["name"] == "handle_payload"]
        self.assertEqual(payload["parentSpanId"], self.root["spanId"])
        self.assertRegex(payload["resource"]["service.name"], r"^dynobs-worker-[12]$")
        self.assertEqual(payload["attributes"]["x_request_id"], "trace-e2e-1")
        [route] = [s for s in self.spans if s["name"] == "router.route_request"]
        self.assertEqual(route["parentSpanId"], self.root["spanId"])
        self.assertEqual(route["resource"]["service.name"], "dynobs-frontend")
        # The worker's span starts inside the frontend's (it may end a little after it: the
        # worker closes its span once its last frame is written, while the frontend may already
        # have answered).
        self.assertGreaterEqual(int(payload["startTimeUnixNano"]),
                                int(self.root["startTimeUnixNano"]))
        self.assertLessEqual(int(payload["startTimeUnixNano"]), int(self.root["endTimeUnixNano"]))

    def test_otlp_logs_of_both_processes_carry_the_trace(self):
        completed = {l["serviceName"] if "serviceName" in l else l["resource"]["service.name"]:
                     l for l in self.logs if l["body"] == "request completed"}
        self.assertIn("dynobs-frontend", completed)
        worker = [k for k in completed if k.startswith("dynobs-worker-")]
        self.assertEqual(len(worker), 1)
        self.assertEqual(completed["dynobs-frontend"]["spanId"], self.root["spanId"])

    def test_jsonl_has_the_same_tree(self):
        lines = [l for l in self.jsonl if l.get("trace_id") == self.trace_id]
        closed = {l["span_name"]: l for l in lines if l["message"] == "SPAN_CLOSED"}
        self.assertIn("http-request", closed)
        self.assertNotIn("parent_id", closed["http-request"])
        self.assertEqual(closed["http-request"]["span_id"], self.root["spanId"])
        for child in ("handle_payload", "router.route_request"):
            self.assertIn(child, closed)
            self.assertEqual(closed[child]["parent_id"], self.root["spanId"], child)
        completed = [l for l in lines if l["message"] == "request completed"]
        self.assertEqual(sorted(l["span_name"] for l in completed),
                         ["handle_payload", "http-request"])
        self.assertEqual(len({l["request_id"] for l in completed}), 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    parser.add_argument("--receiver", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
