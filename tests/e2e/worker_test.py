#!/usr/bin/env python3
"""End-to-end tests of `dynobs worker`: a real process, its system status server, bad input
from the network, bad configuration, and shutdown by signal."""
import argparse
import os
import re
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

DYNOBS = None


def start_worker(env=None, args=()):
    full = {"DYN_DISCOVERY_BACKEND": "mem"}  # these tests need no other process to find it
    full.update(env or {})
    p = testlib.Process([DYNOBS, "worker", *args], env=full, stdin=None)
    return p


def bound_port(process):
    line = process.wait_line(lambda l: "system status server bound to:" in l)
    return int(re.search(r":(\d+)\s*$", line.strip()).group(1))


def raw_exchange(port, data, timeout=5.0, read_all=True):
    """Sends raw bytes, returns everything the server sent back before closing (or timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if not read_all:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


class WorkerServesStatus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.worker = start_worker({"DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_HOST": "127.0.0.1"})
        cls.port = bound_port(cls.worker)
        cls.base = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.worker.stop()

    def test_metrics(self):
        status, h, body = testlib.http_get(self.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        self.assertRegex(text, r'dynamo_component_uptime_seconds\{worker_id="[0-9a-f]+"\} [0-9.]+\n')
        for family in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                       "process_open_fds", "process_max_fds", "process_start_time_seconds",
                       "process_virtual_memory_bytes"):
            self.assertIn(f"# TYPE {family} ", text)

    def test_readiness_and_liveness(self):
        self.worker.wait_line(lambda l: "worker started" in l)  # its endpoints serve
        status, _, body = testlib.http_get(self.base + "/health")
        self.assertEqual(status, 200)
        self.assertRegex(body.decode(), r'^\{"endpoints":\{"generate":"ready","load_metrics":'
                                        r'"ready"\},"status":"ready","uptime":'
                                        r'\{"nanos":\d+,"secs":\d+\}\}$')
        self.assertEqual(testlib.http_get(self.base + "/ready")[0], 200)
        status, _, body = testlib.http_get(self.base + "/live")
        self.assertEqual(status, 200)
        self.assertEqual(body, b'{"message":"Service is live","status":"live"}')

    def test_unknown_route(self):
        status, _, body = testlib.http_get(self.base + "/nope")
        self.assertEqual((status, body), (404, b"Route not found"))

    def test_malformed_request_line_gets_400(self):
        reply = raw_exchange(self.port, b"THIS IS NOT HTTP\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])

    def test_oversized_headers_get_431(self):
        big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
        reply = raw_exchange(self.port, big)
        self.assertTrue(reply.startswith(b"HTTP/1.1 431"), reply[:80])

    def test_oversized_body_gets_413(self):
        head = b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"
        reply = raw_exchange(self.port, head + b"x" * 1024)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:80])

    def test_slow_client_times_out_while_others_are_served(self):
        """One byte a second: the server gives up on it (408) and keeps answering others."""
        result = {}

        def slow():
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                request = b"GET /live HTTP/1.1\r\nHost: x\r\n\r\n"
                start = time.monotonic()
                try:
                    for byte in request:
                        s.sendall(bytes([byte]))
                        time.sleep(1.0)
                        if time.monotonic() - start > 25:
                            break
                except OSError:
                    pass  # the server closed on us
                try:
                    result["reply"] = s.recv(4096)
                except OSError as e:
                    result["reply"] = repr(e).encode()
                result["elapsed"] = time.monotonic() - start

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(1.5)
        for _ in range(5):  # others are served meanwhile, fast
            start = time.monotonic()
            self.assertEqual(testlib.http_get(self.base + "/live")[0], 200)
            self.assertLess(time.monotonic() - start, 1.0)
        t.join()
        self.assertTrue(result["reply"].startswith(b"HTTP/1.1 408"), result["reply"][:80])
        self.assertLess(result["elapsed"], 20)


class WorkerReadiness(unittest.TestCase):
    def test_not_ready_while_a_required_endpoint_is_missing(self):
        w = start_worker({"DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_HOST": "127.0.0.1",
                          "DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS": '["generate","prefill"]'})
        try:
            port = bound_port(w)
            w.wait_line(lambda l: "worker started" in l)
            status, _, body = testlib.http_get(f"http://127.0.0.1:{port}/health")
            self.assertEqual(status, 503)
            self.assertRegex(body.decode(), r'^\{"endpoints":\{"generate":"ready","load_metrics":'
                                            r'"ready"\},"status":"notready",')
            self.assertEqual(testlib.http_get(f"http://127.0.0.1:{port}/live")[0], 200)
        finally:
            w.stop()


class WorkerConfiguration(unittest.TestCase):
    def test_invalid_port_stops_with_one_line(self):
        p = start_worker({"DYN_SYSTEM_PORT": "70000"})
        rc = p.proc.wait(10)
        p.stop()
        self.assertEqual(rc, 2)
        self.assertEqual(p.stderr_lines, [
            'dynobs: invalid DYN_SYSTEM_PORT="70000": expected -1 (off), 0 (a free port) or a '
            'port in 1..65535\n'])

    def test_invalid_starting_status_stops(self):
        p = start_worker({"DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_STARTING_HEALTH_STATUS": "up"})
        self.assertEqual(p.proc.wait(10), 2)
        p.stop()
        self.assertIn("DYN_SYSTEM_STARTING_HEALTH_STATUS", "".join(p.stderr_lines))

    def test_port_in_use_stops_loudly(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            p = start_worker({"DYN_SYSTEM_PORT": str(port), "DYN_SYSTEM_HOST": "127.0.0.1"})
            self.assertEqual(p.proc.wait(10), 2)
            p.stop()
        self.assertIn(f"127.0.0.1:{port}", "".join(p.stderr_lines))

    def test_starting_ready_and_metrics_token(self):
        p = start_worker({"DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_HOST": "127.0.0.1",
                          "DYN_SYSTEM_STARTING_HEALTH_STATUS": "ready",
                          "DYN_SYSTEM_METRICS_TOKEN": "t0ken"})
        try:
            base = f"http://127.0.0.1:{bound_port(p)}"
            self.assertEqual(testlib.http_get(base + "/health")[0], 200)
            self.assertEqual(testlib.http_get(base + "/metrics")[0], 401)
            self.assertEqual(
                testlib.http_get(base + "/metrics", {"Authorization": "Bearer t0ken"})[0], 200)
        finally:
            p.stop()

    def test_help_explains_settings(self):
        import subprocess
        out = subprocess.run([DYNOBS, "worker", "--help"], capture_output=True, text=True).stdout
        for word in ("--system-port", "DYN_SYSTEM_PORT", "/metrics", "/live"):
            self.assertIn(word, out)
        top = subprocess.run([DYNOBS, "--help"], capture_output=True, text=True).stdout
        self.assertIn("worker", top)


class WorkerShutdown(unittest.TestCase):
    def test_sigterm_stops_cleanly(self):
        p = start_worker({"DYN_SYSTEM_PORT": "0", "DYN_SYSTEM_HOST": "127.0.0.1"})
        port = bound_port(p)
        self.assertEqual(testlib.http_get(f"http://127.0.0.1:{port}/live")[0], 200)
        p.proc.send_signal(signal.SIGTERM)
        self.assertEqual(p.proc.wait(10), 0)
        p.stop()
        self.assertIn("worker stopped", "".join(p.stderr_lines))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
