"""Helpers shared by dynobs's Python e2e and interop tests (standard library only)."""
import fcntl
import gzip
import hashlib
import json
import signal
import tempfile
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=10.0, interval=0.05, what="condition"):
    """Polls condition() until it returns a truthy value; returns it, or raises on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def http_get(url, headers=None, timeout=10.0):
    """Returns (status, headers dict lower-cased, body bytes), also for 4xx/5xx."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sample(text, name, **labels):
    """The value of the first series of `name` in exposition `text` whose labels include
    `labels`; None if absent."""
    for line in text.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for_model(base_url, model="mock-llm", timeout=20.0):
    """Waits until the frontend at `base_url` lists `model` in /v1/models (its own view of the
    workers, which follows discovery by up to a poll interval)."""
    def listed():
        try:
            return model in http_get(base_url + "/v1/models")[2].decode()
        except OSError:
            return False
    wait_for(listed, timeout=timeout, what=f"{model} at the frontend")


def decode_body(headers, body):
    if headers.get("content-encoding") == "gzip":
        return gzip.decompress(body).decode()
    return body.decode()


class Process:
    """A child process whose stdout and stderr are collected line by line by reader threads."""

    def __init__(self, argv, env=None, stdin=subprocess.PIPE):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, env=full_env, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stdout_lines = []
        self.stderr_lines = []
        self._cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(s, l), daemon=True)
                         for s, l in ((self.proc.stdout, self.stdout_lines),
                                      (self.proc.stderr, self.stderr_lines))]
        for r in self._readers:
            r.start()

    def _read(self, stream, lines):
        for line in stream:
            with self._cond:
                lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, predicate, timeout=10.0, stream="any"):
        """Waits for a line matching predicate (on stdout, stderr or any); returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                lines = {"stdout": self.stdout_lines, "stderr": self.stderr_lines,
                         "any": self.stdout_lines + self.stderr_lines}[stream]
                for line in lines:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                finished = not any(r.is_alive() for r in self._readers)
                if left <= 0 or finished:
                    break
                self._cond.wait(min(left, 0.1))
        raise AssertionError(
            f"no matching line within {timeout}s; stdout={self.stdout_lines!r} "
            f"stderr={self.stderr_lines!r} rc={self.proc.poll()}")

    def stop(self, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for r in self._readers:
            r.join(timeout)
        if self.proc.stdin:
            self.proc.stdin.close()
        return self.proc.returncode


def ensure_npm_deps(directory, installed):
    """`npm ci --omit=dev` in `directory` once (until node_modules/`installed` exists); a lock
    keeps parallel test processes from racing."""
    digest = hashlib.sha256(os.path.abspath(directory).encode()).hexdigest()[:16]
    lock_path = os.path.join(tempfile.gettempdir(), f"dynobs-npm-{digest}.lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(os.path.join(directory, "node_modules", installed)):
            return
        subprocess.run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=directory,
                       check=True, stdout=subprocess.DEVNULL, timeout=300)


def ensure_receiver_deps(receiver_dir):
    ensure_npm_deps(receiver_dir, "@opentelemetry")


class OtlpReceiver:
    """The OTLP receiver (tests/interop/otlp-receiver: OpenTelemetry's generated decoder) on
    127.0.0.1 with free ports, read back from its --ready-file."""

    def __init__(self, receiver_dir, *flags):
        ensure_receiver_deps(receiver_dir)
        self.receiver_dir = receiver_dir
        self.dir = tempfile.mkdtemp(prefix="otlp-recv-")
        self.out = os.path.join(self.dir, "out")
        ready = os.path.join(self.dir, "ready.json")
        self.log = open(os.path.join(self.dir, "receiver.log"), "w")
        self.proc = subprocess.Popen(
            ["node", os.path.join(receiver_dir, "receiver.js"), "--http", "127.0.0.1:0",
             "--grpc", "127.0.0.1:0", "--out", self.out, "--ready-file", ready, *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"receiver did not start: {self.read_log()}")
            time.sleep(0.05)
        time.sleep(0.05)  # the file is written in one call; give it a moment to be complete
        with open(ready) as f:
            info = json.load(f)
        self.http = "http://" + info["http"]
        self.grpc = "http://" + info["grpc"]

    def endpoint(self, protocol):
        return self.grpc if protocol == "grpc" else self.http

    def read_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "receiver.log")) as f:
            return f.read()

    def records(self, name):
        path = os.path.join(self.out, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def check(self, script, *args):
        """Runs check_spans.js / check_logs.js; returns (exit code, output)."""
        r = subprocess.run(["node", os.path.join(self.receiver_dir, script), self.out, *args],
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.log.close()
