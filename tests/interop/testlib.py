"""Helpers shared by dynobs's Python e2e and interop tests (standard library only)."""
import gzip
import os
import select
import socket
import subprocess
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


def decode_body(headers, body):
    if headers.get("content-encoding") == "gzip":
        return gzip.decompress(body).decode()
    return body.decode()


class Process:
    """A child process whose stdout and stderr are collected line by line."""

    def __init__(self, argv, env=None, stdin=subprocess.PIPE):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, env=full_env, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stdout_lines = []
        self.stderr_lines = []

    def _pump(self, timeout):
        streams = [s for s in (self.proc.stdout, self.proc.stderr) if s and not s.closed]
        if not streams:
            return False
        ready, _, _ = select.select(streams, [], [], timeout)
        for s in ready:
            line = s.readline()
            if line:
                (self.stdout_lines if s is self.proc.stdout else self.stderr_lines).append(line)
        return bool(ready)

    def wait_line(self, predicate, timeout=10.0, stream="any"):
        """Waits for a line matching predicate (on stdout, stderr or any); returns it."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            lines = {"stdout": self.stdout_lines, "stderr": self.stderr_lines,
                     "any": self.stdout_lines + self.stderr_lines}[stream]
            for line in lines[seen:] if stream != "any" else lines:
                if predicate(line):
                    return line
            seen = len(lines)
            if self.proc.poll() is not None and not self._pump(0.05):
                break
            self._pump(0.1)
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
        out, err = self.proc.communicate()
        self.stdout_lines += out.splitlines(keepends=True) if out else []
        self.stderr_lines += err.splitlines(keepends=True) if err else []
        return self.proc.returncode
