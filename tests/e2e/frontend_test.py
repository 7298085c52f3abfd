#!/usr/bin/env python3
"""End-to-end tests of `dynobs frontend` in front of two real `dynobs worker` processes (file
discovery): the OpenAI-compatible API streamed and unary, its errors, the frontend families after
a known workload, a client that disconnects cancelling the worker, trace context reaching the
worker, and promtool on the frontend's /metrics."""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

DYNOBS = None


class Cluster:
    """Two workers and a frontend on free ports, in a private discovery directory."""

    def __init__(self, worker_args=(), frontend_args=(), frontend_env=None, health="/health"):
        self.dir = tempfile.mkdtemp(prefix="dynobs-frontend-")
        self.env = {"DYN_DISCOVERY_BACKEND": "file",
                    "DYN_DISCOVERY_DIR": os.path.join(self.dir, "discovery"),
                    "DYN_SYSTEM_HOST": "127.0.0.1"}
        self.workers = []
        for _ in range(2):
            env = dict(self.env, DYN_SYSTEM_PORT="0")
            w = testlib.Process([DYNOBS, "worker", *worker_args], env=env, stdin=None)
            line = w.wait_line(lambda l: "worker started" in l, timeout=15)
            w.worker_id = re.search(r"worker_id=([0-9a-f]+)", line).group(1)
            line = w.wait_line(lambda l: "system status server bound to:" in l)
            w.system_port = int(re.search(r":(\d+)\s*$", line.strip()).group(1))
            self.workers.append(w)
        self.port = testlib.free_port()
        env = dict(self.env, DYN_SYSTEM_PORT="-1", **(frontend_env or {}))
        self.frontend = testlib.Process(
            [DYNOBS, "frontend", "--http-port", str(self.port), "--http-host", "127.0.0.1",
             *frontend_args], env=env, stdin=None)
        self.frontend.wait_line(lambda l: "frontend started" in l, timeout=15)
        testlib.wait_for(lambda: len(self.get(health)[1]["instances"]) == 2, timeout=10,
                         what="both workers at the frontend")

    def get(self, path, headers=None):
        status, h, body = testlib.http_get(f"http://127.0.0.1:{self.port}{path}", headers)
        try:
            return status, json.loads(body), h
        except ValueError:
            return status, body.decode(), h

    def post(self, path, body, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", path, body=json.dumps(body) if not isinstance(body, str) else body,
                     headers={"Content-Type": "application/json", **(headers or {})})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data.decode(), {k.lower(): v for k, v in r.getheaders()}

    def metrics(self):
        return self.get("/metrics")[1]

    def worker_metrics(self, i):
        return testlib.http_get(f"http://127.0.0.1:{self.workers[i].system_port}/metrics")[2] \
            .decode()

    def stop(self):
        self.frontend.stop()
        for w in self.workers:
            w.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def sse_events(text):
    """The `data:` payloads of an SSE body, in order."""
    return [block[len("data: "):] for block in text.split("\n\n") if block.startswith("data: ")]


def refused_start(test, env, *args):
    """Starts `dynobs frontend` with `env` added; asserts it stops at once with exit status 2
    (a configuration error) and returns its stderr."""
    r = subprocess.run([DYNOBS, "frontend", "--http-port", "0", *args],
                       env=dict(os.environ, **env), capture_output=True, text=True, timeout=10)
    test.assertEqual(r.returncode, 2, r.stderr)
    return r.stderr


CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"


class FrontendApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(worker_args=["--speedup", "20"])

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def test_models_lists_the_workers_model(self):
        status, body, _ = self.c.get("/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(body["object"], "list")
        self.assertEqual([m["id"] for m in body["data"]], ["mock-llm"])

    def test_unary_chat_completion(self):
        status, text, headers = self.c.post(
            CHAT, {"model": "mock-llm", "max_tokens": 5,
                   "messages": [{"role": "user", "content": "Hello there"}]},
            {"x-request-id": "e2e-unary-1"})
        self.assertEqual(status, 200, text)
        self.assertEqual(headers["x-request-id"], "e2e-unary-1")
        body = json.loads(text)
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["object"], "chat.completion")
        self.assertEqual(body["model"], "mock-llm")
        choice = body["choices"][0]
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertTrue(choice["message"]["content"])
        self.assertEqual(choice["finish_reason"], "length")
        self.assertEqual(body["usage"]["completion_tokens"], 5)
        self.assertEqual(body["usage"]["total_tokens"],
                         body["usage"]["prompt_tokens"] + 5)

    def test_streamed_chat_with_usage(self):
        status, text, headers = self.c.post(
            CHAT, {"model": "mock-llm", "max_tokens": 4, "stream": True,
                   "stream_options": {"include_usage": True},
                   "messages": [{"role": "user", "content": "Stream please"}]})
        self.assertEqual(status, 200, text)
        self.assertEqual(headers["content-type"], "text/event-stream")
        events = sse_events(text)
        self.assertEqual(events[-1], "[DONE]")
        chunks = [json.loads(e) for e in events[:-1]]
        self.assertEqual(len({c["id"] for c in chunks}), 1)
        self.assertEqual(chunks[0]["choices"][0]["delta"], {"role": "assistant", "content": ""})
        deltas = [c for c in chunks if c["choices"] and "content" in c["choices"][0]["delta"]]
        self.assertEqual(len(deltas) - 1, 4)  # the role chunk, then one per token
        finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
        self.assertEqual(finish[0]["choices"][0]["finish_reason"], "length")
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(chunks[-1]["usage"]["completion_tokens"], 4)

    def test_streamed_and_unary_completions(self):
        status, text, _ = self.c.post(COMPLETIONS, {"model": "mock-llm", "prompt": "Once",
                                                    "max_tokens": 3})
        self.assertEqual(status, 200, text)
        body = json.loads(text)
        self.assertEqual(body["object"], "text_completion")
        self.assertEqual(body["usage"]["completion_tokens"], 3)
        status, text, _ = self.c.post(COMPLETIONS, {"model": "mock-llm", "prompt": "Once",
                                                    "max_tokens": 3, "stream": True})
        events = sse_events(text)
        self.assertEqual(events[-1], "[DONE]")
        texts = [json.loads(e)["choices"][0]["text"] for e in events[:-1]]
        self.assertEqual("".join(texts), body["choices"][0]["text"])  # deterministic engine

    def test_errors_are_openai_shaped(self):
        status, text, _ = self.c.post(CHAT, {"model": "nope", "messages": [
            {"role": "user", "content": "x"}]})
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(text)["error"]["code"], "model_not_found")
        status, text, _ = self.c.post(CHAT, {"model": "mock-llm", "messages": "x"})
        self.assertEqual(status, 400)
        err = json.loads(text)["error"]
        self.assertEqual(err["type"], "invalid_request_error")
        self.assertEqual(err["param"], "messages")
        status, text, _ = self.c.post(CHAT, "not json")
        self.assertEqual(status, 400)
        status, text, _ = self.c.post(CHAT, {"model": "mock-llm", "temperature": 9,
                                             "messages": [{"role": "user", "content": "x"}]})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(text)["error"]["param"], "temperature")

    def test_trace_context_reaches_the_worker(self):
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        status, _, _ = self.c.post(
            CHAT, {"model": "mock-llm", "max_tokens": 1,
                   "messages": [{"role": "user", "content": "trace me"}]},
            {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        self.assertEqual(status, 200)
        def found():  # the worker's log writer and our reader threads may lag the answer
            return [l for w in self.c.workers for l in w.stderr_lines
                    if f"trace_id={trace_id}" in l and "request completed" in l]
        testlib.wait_for(found, timeout=5, what="the handle_payload span in the caller's trace")
        self.assertEqual(len(found()), 1)

    def test_frontend_metrics_pass_promtool(self):
        text = self.c.metrics()
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        remarks = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        self.assertIn(r.returncode, (0, 3), remarks)
        # Only lint remarks on names Dynamo chose, which dashboards query as they are
        # (docs/compatibility.md); the format itself parses.
        dynamo_names = ("dynamo_frontend_detokenize_token_count",
                        "dynamo_frontend_detokenize_total_us",
                        "dynamo_frontend_tokenizer_latency_ms",
                        "dynamo_router_overhead_")
        for remark in remarks:
            self.assertTrue(remark.startswith(dynamo_names), remark)


class FrontendWorkloadTest(unittest.TestCase):
    """Exact frontend families after a known workload on a fresh cluster."""

    def test_known_workload(self):
        c = Cluster(worker_args=["--speedup", "20"])
        try:
            for i in range(3):
                status, _, _ = c.post(CHAT, {"model": "Mock-LLM" if i == 0 else "mock-llm",
                                             "max_tokens": 4, "stream": True,
                                             "messages": [{"role": "user", "content": "a"}]})
            for i in range(2):
                c.post(COMPLETIONS, {"model": "mock-llm", "prompt": "b", "max_tokens": 6})
            c.post(COMPLETIONS, {"model": "mock-llm", "prompt": 1})
            m = c.metrics()
            self.assertEqual(testlib.sample(m, "dynamo_frontend_requests_total", model="mock-llm",
                                    endpoint="chat_completions", request_type="stream",
                                    status="success"), 2)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_requests_total", model="mock-llm",
                                    endpoint="completions", request_type="unary",
                                    status="success"), 2)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_requests_total", endpoint="completions",
                                    error_type="validation"), 1)
            # Model names match exactly ("Mock-LLM" is unknown: 404), and the request families'
            # model label is lower-cased, as Dynamo's.
            self.assertEqual(testlib.sample(m, "dynamo_frontend_requests_total", model="mock-llm",
                                    endpoint="chat_completions", error_type="not_found"), 1)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_output_tokens_total", model="mock-llm"),
                             2 * 4 + 2 * 6)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_time_to_first_token_seconds_count",
                                    model="mock-llm"), 4)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_inter_token_latency_seconds_count",
                                    model="mock-llm"), 2 * 3 + 2 * 5)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_output_sequence_tokens_sum",
                                    model="mock-llm"), 20)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_inflight_requests", model="mock-llm"), 0)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_queued_requests", model="mock-llm"), 0)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_model_total_kv_blocks",
                                    model="mock-llm"), 8192)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_model_kv_cache_block_size",
                                    model="mock-llm"), 16)
            self.assertIsNotNone(testlib.sample(m, "dynamo_request_plane_roundtrip_ttft_seconds_count"))
            self.assertEqual(testlib.sample(m, "dynamo_frontend_stage_duration_seconds_count",
                                    stage="route"), 4)
            self.assertGreater(testlib.sample(m, "dynamo_frontend_event_loop_delay_seconds_count"), 0)
            served = sum(testlib.sample(c.worker_metrics(i), "dynamo_component_requests_total",
                                dynamo_endpoint="generate") for i in range(2))
            self.assertEqual(served, 4)
        finally:
            c.stop()

    def test_a_client_that_disconnects_cancels_the_generation(self):
        c = Cluster()  # real timing: a long generation
        try:
            s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
            body = json.dumps({"model": "mock-llm", "max_tokens": 30000, "stream": True,
                               "messages": [{"role": "user", "content": "long story"}]})
            s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
            received = b""
            while received.count(b"data: ") < 3:
                received += s.recv(4096)
            s.close()

            def cancelled():
                m = c.metrics()
                w = sum(testlib.sample(c.worker_metrics(i), "dynamo_component_cancellation_total",
                               dynamo_endpoint="generate") or 0 for i in range(2))
                return (testlib.sample(m, "dynamo_frontend_disconnected_clients") == 1 and
                        testlib.sample(m, "dynamo_frontend_model_cancellation_total",
                               model="mock-llm") == 1 and
                        testlib.sample(m, "dynamo_frontend_requests_total", error_type="cancelled") == 1
                        and w == 1)
            testlib.wait_for(cancelled, timeout=5, what="the cancellation at both ends")
            m = c.metrics()
            self.assertEqual(testlib.sample(m, "dynamo_frontend_inflight_requests", model="mock-llm"), 0)
        finally:
            c.stop()


class FrontendCapacityTest(unittest.TestCase):
    def test_finished_requests_give_their_place_back(self):
        """More requests than --max-inflight, one after the other: none is refused, so every
        finished request (streamed, unary, failed) released its place."""
        c = Cluster(worker_args=["--zero-delay"], frontend_args=["--max-inflight", "3"])
        try:
            for i in range(12):
                stream = i % 3 != 2
                status, text, _ = c.post(CHAT, {"model": "mock-llm", "max_tokens": 3,
                                                "stream": stream,
                                                "messages": [{"role": "user", "content": "x"}]})
                self.assertEqual(status, 200, (i, text))
            m = c.metrics()
            self.assertIsNone(testlib.sample(m, "dynamo_frontend_requests_total", error_type="overload"))
        finally:
            c.stop()


class FrontendShutdownTest(unittest.TestCase):
    def test_draining_keeps_live_at_503_and_lets_streams_finish(self):
        c = Cluster(worker_args=["--speedup", "5"])  # a stream of 40 tokens takes ~0.1 s
        try:
            s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
            body = json.dumps({"model": "mock-llm", "max_tokens": 400, "stream": True,
                               "messages": [{"role": "user", "content": "drain"}]})
            s.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
            first = s.recv(4096)
            self.assertIn(b"200 OK", first)
            c.frontend.proc.send_signal(signal.SIGTERM)
            testlib.wait_for(lambda: c.get("/live")[0] == 503, timeout=2,
                             what="/live at 503 while draining")
            self.assertEqual(c.get("/live")[1]["status"], "shutting_down")
            status, text, _ = c.post(CHAT, {"model": "mock-llm", "max_tokens": 1,
                                            "messages": [{"role": "user", "content": "late"}]})
            self.assertEqual(status, 503, text)
            received = first
            while b"data: [DONE]" not in received:  # the stream in flight finishes
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
            self.assertIn(b"data: [DONE]", received)
            self.assertEqual(c.frontend.proc.wait(15), 0)
        finally:
            c.stop()


class KvRoutingTest(unittest.TestCase):
    def test_a_repeated_prompt_goes_where_its_prefix_is_cached(self):
        c = Cluster(worker_args=["--speedup", "20"], frontend_args=["--router-mode", "kv"])
        try:
            prompt = " ".join(f"word{i}" for i in range(120))  # many 16-token blocks
            cached = []
            for _ in range(4):
                status, text, _ = c.post(COMPLETIONS, {"model": "mock-llm", "prompt": prompt,
                                                       "max_tokens": 2})
                self.assertEqual(status, 200, text)
                cached.append(json.loads(text)["usage"]["prompt_tokens_details"]["cached_tokens"])
                time.sleep(0.2)  # the worker's KV events reach the router's index
            self.assertEqual(cached[0], 0)
            self.assertTrue(all(x > 0 for x in cached[1:]), cached)  # always the same worker
            m = c.metrics()
            self.assertEqual(testlib.sample(m, "dynamo_component_router_requests_total",
                                    dynamo_component="backend"), 4)
            self.assertEqual(testlib.sample(m, "dynamo_component_router_kv_hit_rate_count"), 4)
            self.assertGreater(testlib.sample(m, "dynamo_component_router_kv_hit_rate_sum"), 2.5)
            self.assertGreater(testlib.sample(m, "dynamo_component_kv_cache_events_applied",
                                      event_type="stored", status="ok"), 0)
            self.assertEqual(testlib.sample(m, "dynamo_component_kv_cache_events_applied",
                                    event_type="stored", status="parent_block_not_found"), 0)
            self.assertIsNotNone(testlib.sample(m, "dynamo_frontend_worker_active_decode_blocks"))
            for h in ("block_hashing_ms", "seq_hashing_ms", "indexer_find_matches_ms",
                      "scheduling_ms", "total_ms"):
                self.assertEqual(testlib.sample(m, f"dynamo_router_overhead_{h}_count"), 4, h)
            self.assertIsNotNone(testlib.sample(m, "dynamo_frontend_worker_last_time_to_first_token_seconds"))
        finally:
            c.stop()

    def test_round_robin_spreads_a_repeated_prompt(self):
        c = Cluster(worker_args=["--speedup", "20"])
        try:
            prompt = " ".join(f"word{i}" for i in range(120))
            for _ in range(4):
                c.post(COMPLETIONS, {"model": "mock-llm", "prompt": prompt, "max_tokens": 2})
            served = [testlib.sample(c.worker_metrics(i), "dynamo_component_requests_total",
                             dynamo_endpoint="generate") for i in range(2)]
            self.assertEqual(served, [2, 2])
            m = c.metrics()
            # Registered in every mode, observed only by the KV router (as Dynamo).
            self.assertEqual(testlib.sample(m, "dynamo_component_router_requests_total"), 0)
        finally:
            c.stop()


class RouterQueueTest(unittest.TestCase):
    """DYN_ROUTER_QUEUE_THRESHOLD (spec 3.7 c): with threshold 0 a worker takes a new request
    only once the prompt it is prefilling is done; the rest wait in the router queue, which the
    two gauges show, and all of them are answered."""

    def test_requests_wait_while_every_worker_prefills(self):
        c = Cluster(frontend_args=["--router-mode", "kv"],
                    frontend_env={"DYN_ROUTER_QUEUE_THRESHOLD": "0"})
        try:
            m = c.metrics()
            self.assertEqual(testlib.sample(m, "dynamo_frontend_router_queue_pending_requests",
                                            worker_type="decode"), 0)
            results = []
            def one(i):  # distinct ~3000-token prompts: about 60 ms of prefill each
                prompt = " ".join(f"r{i}w{j}" for j in range(1500))
                results.append(c.post(COMPLETIONS, {"model": "mock-llm", "prompt": prompt,
                                                    "max_tokens": 2})[0])
            import threading
            threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
            for t in threads:
                t.start()
            most, most_isl = 0, 0
            while any(t.is_alive() for t in threads):
                m = c.metrics()
                most = max(most, testlib.sample(
                    m, "dynamo_frontend_router_queue_pending_requests", worker_type="decode"))
                most_isl = max(most_isl, testlib.sample(
                    m, "dynamo_frontend_router_queue_pending_isl_tokens", worker_type="decode"))
            for t in threads:
                t.join()
            self.assertEqual(results, [200] * 10)
            self.assertGreaterEqual(most, 2)  # 10 requests, 2 workers, one prefill each at a time
            self.assertGreater(most_isl, 2000 * most)
            m = c.metrics()
            self.assertEqual(testlib.sample(m, "dynamo_frontend_router_queue_pending_requests",
                                            worker_type="decode"), 0)
            self.assertEqual(testlib.sample(m, "dynamo_frontend_router_queue_pending_isl_tokens",
                                            worker_type="decode"), 0)
            # The wait is part of the route stage.
            self.assertEqual(testlib.sample(m, "dynamo_frontend_stage_duration_seconds_count",
                                            stage="route"), 10)
        finally:
            c.stop()

    def test_without_a_threshold_the_families_have_no_series(self):
        c = Cluster(frontend_args=["--router-mode", "kv"])
        try:
            self.assertIsNone(testlib.sample(c.metrics(),
                                             "dynamo_frontend_router_queue_pending_requests"))
        finally:
            c.stop()

    def test_a_threshold_needs_kv_mode(self):
        self.assertIn("--router-mode kv",
                      refused_start(self, {"DYN_ROUTER_QUEUE_THRESHOLD": "0.5"}))
        self.assertIn("DYN_ROUTER_QUEUE_THRESHOLD",
                      refused_start(self, {"DYN_ROUTER_QUEUE_THRESHOLD": "lots"},
                                    "--router-mode", "kv"))


class RouteOverrideTest(unittest.TestCase):
    """DYN_HTTP_SVC_*_PATH (spec 4.2) move the routes; bad values stop the frontend at start."""

    def test_every_route_moves(self):
        paths = {"METRICS": "/ops/metrics", "HEALTH": "/ops/health", "LIVE": "/ops/live",
                 "MODELS": "/api/models", "CHAT": "/api/chat", "CMP": "/api/cmp"}
        c = Cluster(frontend_env={f"DYN_HTTP_SVC_{k}_PATH": v for k, v in paths.items()}
                    | {"DYN_HTTP_SVC_EMB_PATH": "/api/emb"},
                    health="/ops/health")
        try:
            self.assertEqual(c.get("/api/models")[1]["data"][0]["id"], "mock-llm")
            status, text, _ = c.post("/api/chat", {"model": "mock-llm", "max_tokens": 2,
                                                   "messages": [{"role": "user", "content": "x"}]})
            self.assertEqual(status, 200, text)
            self.assertEqual(json.loads(text)["object"], "chat.completion")
            status, text, _ = c.post("/api/cmp", {"model": "mock-llm", "prompt": "x",
                                                  "max_tokens": 2})
            self.assertEqual(status, 200, text)
            self.assertEqual(json.loads(text)["object"], "text_completion")
            self.assertEqual(c.get("/ops/live")[0], 200)
            m = c.get("/ops/metrics")[1]
            self.assertEqual(testlib.sample(m, "dynamo_frontend_requests_total",
                                            endpoint="chat_completions", status="success"), 1)
            for old in ("/metrics", "/health", "/live", "/v1/models"):
                self.assertEqual(c.get(old)[0], 404, old)
            self.assertEqual(c.post(CHAT, {"model": "mock-llm", "messages": []})[0], 404)
            self.assertTrue(any("DYN_HTTP_SVC_EMB_PATH" in l and "ignored" in l
                                for l in c.frontend.stderr_lines))
        finally:
            c.stop()

    def test_bad_paths_stop_the_frontend(self):
        for env, words in (({"DYN_HTTP_SVC_LIVE_PATH": "live"}, "DYN_HTTP_SVC_LIVE_PATH"),
                           ({"DYN_HTTP_SVC_LIVE_PATH": "/health"}, "each route needs its own")):
            self.assertIn(words, refused_start(self, env))


def main():
    global DYNOBS
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
