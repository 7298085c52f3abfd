#!/usr/bin/env python3
"""End-to-end test of `dynobs serve`, the main job: a frontend and two workers as children,
their URLs printed, a request answered, a killed worker restarted, and Ctrl-C stopping
everything and removing the temporary directory."""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

DYNOBS = None


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


class ServeTest(unittest.TestCase):
    def test_serve_runs_restarts_and_stops(self):
        port = testlib.free_port()
        serve = testlib.Process([DYNOBS, "serve", "--http-port", str(port), "--speedup", "20"],
                                stdin=None)
        try:
            serve.wait_line(lambda l: l.startswith("  discovery"), stream="stdout")
            banner = "".join(serve.stdout_lines)
            self.assertIn(f"http://localhost:{port}/v1/chat/completions", banner)
            worker_ports = [int(p) for p in
                            re.findall(r"worker-\d+ +http://localhost:(\d+)/metrics", banner)]
            self.assertEqual(len(worker_ports), 2)
            directory = re.search(r"discovery +(\S+)/discovery", banner).group(1)
            base = f"http://127.0.0.1:{port}"

            def both_workers():
                try:
                    return len(json.loads(testlib.http_get(base + "/health")[2])["instances"])
                except OSError:
                    return 0

            testlib.wait_for(lambda: both_workers() == 2, timeout=15, what="two workers")
            testlib.wait_for_model(base)
            req = json.dumps({"model": "mock-llm", "max_tokens": 3,
                              "messages": [{"role": "user", "content": "hi"}]}).encode()
            with urllib.request.urlopen(urllib.request.Request(
                    base + "/v1/chat/completions", data=req,
                    headers={"Content-Type": "application/json"}), timeout=10) as r:
                body = json.loads(r.read())
            self.assertEqual(body["usage"]["completion_tokens"], 3)
            for p in worker_ports:
                self.assertEqual(testlib.http_get(f"http://127.0.0.1:{p}/live")[0], 200)

            # A worker killed: reported, started again, back in discovery.
            kids = children(serve.proc.pid)
            self.assertEqual(len(kids), 3)
            victim = None
            for k in kids:
                with open(f"/proc/{k}/cmdline", "rb") as f:
                    if b"worker" in f.read().split(b"\0"):
                        victim = k
                        break
            os.kill(victim, signal.SIGKILL)
            serve.wait_line(lambda l: "killed by signal 9" in l, stream="stderr")
            serve.wait_line(lambda l: "started again" in l, stream="stderr", timeout=10)
            testlib.wait_for(lambda: both_workers() == 2 and victim not in children(
                serve.proc.pid), timeout=15, what="the worker back")

            serve.proc.send_signal(signal.SIGINT)
            self.assertEqual(serve.proc.wait(20), 0)
            self.assertEqual(children(serve.proc.pid), [])
            self.assertFalse(os.path.exists(directory))
        finally:
            serve.stop()


def main():
    global DYNOBS
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
