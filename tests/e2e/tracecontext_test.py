#!/usr/bin/env python3
"""End-to-end tests of `dynobs tracecontext-test-service`, the service the W3C Trace Context
conformance suite drives: a real process receives POST /test with trace context headers and
calls back a recorder in this test, and the headers of each callback are checked exactly."""
import argparse
import http.client
import http.server
import json
import os
import re
import sys
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

DYNOBS = None
TRACE = "12345678901234567890123456789012"
PARENT = "1234567890123456"
VALID = f"00-{TRACE}-{PARENT}-01"
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# Proxies from the environment would send the service's calls elsewhere.
NO_PROXY_ENV = {k: "" for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                "all_proxy", "ALL_PROXY")}


class Recorder:
    """An HTTP server that records every request it receives: path -> list of header pairs."""

    def __init__(self):
        self.calls = {}
        self.cond = threading.Condition()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recorder.cond:
                    recorder.calls[self.path] = {"headers": list(self.headers.items()),
                                                 "body": body}
                    recorder.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self, path):
        with self.cond:
            if not self.cond.wait_for(lambda: path in self.calls, timeout=10):
                raise AssertionError(f"the service never called {path}")
            return self.calls.pop(path)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start_service(env=None):
    full_env = dict(NO_PROXY_ENV)
    full_env.update(env or {})
    p = testlib.Process([DYNOBS, "tracecontext-test-service", "--port", "0"], env=full_env,
                        stdin=None)
    line = p.wait_line(lambda l: "tracecontext test service listening on" in l, stream="stdout")
    return p, int(re.search(r":(\d+)/test", line).group(1))


def stop(process):
    process.stop()
    for stream in (process.proc.stdout, process.proc.stderr):
        stream.close()


def post_raw(port, headers, body, path="/test", method="POST"):
    """Sends headers as given (duplicates and odd casing kept); returns (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        data = body if isinstance(body, bytes) else body.encode()
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name]


class Base(unittest.TestCase):
    env = None

    @classmethod
    def setUpClass(cls):
        cls.recorder = Recorder()
        cls.service, cls.port = start_service(cls.env)

    @classmethod
    def tearDownClass(cls):
        stop(cls.service)
        cls.recorder.stop()

    def call(self, headers, count=1, arguments=None):
        """POSTs /test with `headers`, asking for `count` callbacks; returns their headers."""
        token = uuid.uuid4().hex
        paths = [f"/cb/{token}/{i}" for i in range(count)]
        body = json.dumps([{"url": self.recorder.url(p), "arguments": arguments or []}
                           for p in paths])
        status, answer = post_raw(self.port, headers, body)
        self.assertEqual(status, 200, answer)
        self.assertEqual(json.loads(answer), {"calls": count})
        return [self.recorder.take(p) for p in paths]

    def propagated(self, headers):
        """(trace id, parent id, flags, tracestate list) of the single callback."""
        got = self.call(headers)[0]["headers"]
        parents = header_values(got, "traceparent")
        self.assertEqual(len(parents), 1, got)
        m = TRACEPARENT_RE.match(parents[0])
        self.assertIsNotNone(m, parents[0])
        return m.group(1), m.group(2), m.group(3), header_values(got, "tracestate")

    def assert_new_trace(self, headers, old_trace=TRACE):
        trace, parent, flags, state = self.propagated(headers)
        self.assertNotEqual(trace, old_trace)
        self.assertNotEqual(trace, "0" * 32)
        self.assertEqual(flags, "03")  # a new trace here: sampled, random trace id
        self.assertEqual(state, [])  # tracestate goes with the discarded traceparent
        return trace

    def assert_continued(self, headers, flags="01", tracestate=None):
        trace, parent, got_flags, state = self.propagated(headers)
        self.assertEqual(trace, TRACE)
        self.assertNotEqual(parent, PARENT)
        self.assertNotEqual(parent, "0" * 16)
        self.assertEqual(got_flags, flags)
        self.assertEqual(state, [tracestate] if tracestate else [])


class TraceparentTest(Base):
    def test_missing_starts_a_new_trace(self):
        self.assert_new_trace([])

    def test_valid_is_continued_with_a_new_parent_id(self):
        self.assert_continued([("traceparent", VALID)])

    def test_flags_are_carried(self):
        self.assert_continued([("traceparent", f"00-{TRACE}-{PARENT}-00")], flags="00")
        self.assert_continued([("traceparent", f"00-{TRACE}-{PARENT}-03")], flags="03")
        # Reserved bits are not passed on.
        self.assert_continued([("traceparent", f"00-{TRACE}-{PARENT}-09")], flags="01")

    def test_header_name_is_case_insensitive(self):
        for name in ("TraceParent", "TrAcEpArEnT", "TRACEPARENT"):
            self.assert_continued([(name, VALID)])

    def test_other_names_are_not_traceparent(self):
        for name in ("trace-parent", "trace.parent"):
            self.assert_new_trace([(name, VALID)])

    def test_two_headers_start_a_new_trace(self):
        trace = self.assert_new_trace([("traceparent", f"00-{TRACE[:-1]}1-{PARENT}-01"),
                                       ("traceparent", VALID)])
        self.assertNotEqual(trace, TRACE[:-1] + "1")

    def test_optional_whitespace_is_ignored(self):
        for value in (" " + VALID, "\t" + VALID, VALID + " ", VALID + "\t", "\t " + VALID + " \t"):
            self.assert_continued([("traceparent", value)])

    def test_version_00_must_be_exactly_55_characters(self):
        for value in (VALID + ".", VALID + "-what-the-future-will-be-like"):
            self.assert_new_trace([("traceparent", value)])

    def test_future_versions_are_parsed_as_00_and_sent_as_00(self):
        for value in (f"cc-{TRACE}-{PARENT}-01", f"cc-{TRACE}-{PARENT}-01-what-the-future-will-be"):
            self.assert_continued([("traceparent", value)])
        self.assert_new_trace([("traceparent", f"cc-{TRACE}-{PARENT}-01.what-the-future")])

    def test_invalid_values_start_a_new_trace(self):
        for value in (
                f"ff-{TRACE}-{PARENT}-01",  # version ff is forbidden
                f".0-{TRACE}-{PARENT}-01", f"0.-{TRACE}-{PARENT}-01",
                f"000-{TRACE}-{PARENT}-01", f"0-{TRACE}-{PARENT}-01",
                f"00-{'0' * 32}-{PARENT}-01", f"00-{TRACE}-{'0' * 16}-01",
                f"00-.{TRACE[1:]}-{PARENT}-01", f"00-{TRACE[:-1]}.-{PARENT}-01",
                f"00-{TRACE}3-{PARENT}-01", f"00-{TRACE[:-1]}-{PARENT}-01",
                f"00-{TRACE}-.{PARENT[1:]}-01", f"00-{TRACE}-{PARENT}7-01",
                f"00-{TRACE}-{PARENT[:-1]}-01", f"00-{TRACE}-{PARENT}-.0",
                f"00-{TRACE}-{PARENT}-001", f"00-{TRACE}-{PARENT}-1",
                f"00-{TRACE.upper()[:-4]}ABCD-{PARENT}-01", ""):
            with self.subTest(value=value):
                self.assert_new_trace([("traceparent", value), ("tracestate", "foo=1")])

    def test_each_call_gets_its_own_parent_id(self):
        calls = self.call([("traceparent", VALID)], count=3)
        ids = [TRACEPARENT_RE.match(header_values(c["headers"], "traceparent")[0]).groups()
               for c in calls]
        self.assertEqual({t for t, _, _ in ids}, {TRACE})
        self.assertEqual(len({p for _, p, _ in ids}), 3)

    def test_one_new_trace_per_request_when_missing(self):
        calls = self.call([], count=3)
        ids = [TRACEPARENT_RE.match(header_values(c["headers"], "traceparent")[0]).groups()
               for c in calls]
        self.assertEqual(len({t for t, _, _ in ids}), 1)
        self.assertEqual(len({p for _, p, _ in ids}), 3)

    def test_the_arguments_are_the_body_of_the_call(self):
        got = self.call([("traceparent", VALID)],
                        arguments=[{"url": "http://example.invalid/", "arguments": []}])[0]
        self.assertEqual(json.loads(got["body"]),
                         [{"url": "http://example.invalid/", "arguments": []}])
        self.assertEqual(header_values(got["headers"], "content-type"), ["application/json"])


class TracestateTest(Base):
    def with_state(self, *states):
        return [("traceparent", f"00-{TRACE}-{PARENT}-00")] + [("tracestate", s) for s in states]

    def test_carried_as_received(self):
        self.assert_continued(self.with_state("foo=1,bar=2"), flags="00", tracestate="foo=1,bar=2")

    def test_header_name_is_case_insensitive(self):
        for name in ("TraceState", "TrAcEsTaTe", "TRACESTATE"):
            self.assert_continued([("traceparent", f"00-{TRACE}-{PARENT}-00"), (name, "foo=1")],
                                  flags="00", tracestate="foo=1")
        for name in ("trace-state", "trace.state"):
            self.assert_continued([("traceparent", f"00-{TRACE}-{PARENT}-00"), (name, "foo=1")],
                                  flags="00")

    def test_without_traceparent_it_is_dropped(self):
        for state in ("foo=1", "foo=1,bar=2"):
            self.assert_new_trace([("tracestate", state)], old_trace=None)

    def test_several_headers_are_combined_in_order(self):
        self.assert_continued(self.with_state("foo=1,bar=2", "rojo=1,congo=2", "baz=3"),
                              flags="00", tracestate="foo=1,bar=2,rojo=1,congo=2,baz=3")

    def test_empty_headers_and_members_are_dropped(self):
        self.assert_continued(self.with_state(""), flags="00")
        self.assert_continued(self.with_state("foo=1", ""), flags="00", tracestate="foo=1")
        self.assert_continued(self.with_state("", "foo=1"), flags="00", tracestate="foo=1")
        self.assert_continued(self.with_state("foo=1,,bar=2, ,"), flags="00",
                              tracestate="foo=1,bar=2")

    def test_optional_whitespace_is_dropped(self):
        self.assert_continued(self.with_state("foo=1 \t , \t bar=2, \t baz=3"), flags="00",
                              tracestate="foo=1,bar=2,baz=3")
        for state in (" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"):
            self.assert_continued(self.with_state(state), flags="00", tracestate="foo=1")

    def test_all_allowed_characters(self):
        key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
        value = "".join(chr(c) for c in range(0x20, 0x7f) if chr(c) not in ",=")
        # Leading spaces are part of a value, and are carried.
        self.assert_continued(self.with_state(f"{key}={value}"), flags="00",
                              tracestate=f"{key}={value}")
        self.assert_continued(self.with_state(f"{key}@a-z0-9_-*/={value}"), flags="00",
                              tracestate=f"{key}@a-z0-9_-*/={value}")

    def test_invalid_lists_are_dropped_whole(self):
        for states in (("foo=1,foo=1",), ("foo=1,foo=2",), ("foo=1", "foo=1"), ("foo=1", "foo=2"),
                       ("foo =1",), ("FOO=1",), ("foo.bar=1",), ("foo@=1,bar=2",),
                       ("@foo=1,bar=2",), ("foo@@bar=1,bar=2",), ("foo@bar@baz=1,bar=2",),
                       ("foo=bar=baz",), ("foo=,bar=3",)):
            with self.subTest(states=states):
                self.assert_continued(self.with_state(*states), flags="00")

    def test_key_length_limits(self):
        self.assert_continued(self.with_state("foo=1", "z" * 256 + "=1"), flags="00",
                              tracestate="foo=1," + "z" * 256 + "=1")
        self.assert_continued(self.with_state("foo=1", "z" * 257 + "=1"), flags="00")
        key = "t" * 241 + "@" + "v" * 14
        self.assert_continued(self.with_state("foo=1", key + "=1"), flags="00",
                              tracestate=f"foo=1,{key}=1")
        self.assert_continued(self.with_state("foo=1", "t" * 242 + "@v=1"), flags="00")
        self.assert_continued(self.with_state("foo=1", "t@" + "v" * 15 + "=1"), flags="00")

    def test_at_most_32_members(self):
        def members(a, b):
            return ",".join(f"bar{i:02d}={i:02d}" for i in range(a, b + 1))
        self.assert_continued(
            self.with_state(members(1, 10), members(11, 20), members(21, 30), members(31, 32)),
            flags="00", tracestate=members(1, 32))
        self.assert_continued(
            self.with_state(members(1, 10), members(11, 20), members(21, 30), members(31, 33)),
            flags="00")

    def test_longer_than_512_characters_is_truncated_by_whole_members(self):
        state = ",".join(f"k{i:02d}=" + "v" * 20 for i in range(32))  # 799 characters
        expected = ",".join(f"k{i:02d}=" + "v" * 20 for i in range(20))  # 499
        self.assert_continued(self.with_state(state), flags="00", tracestate=expected)


class BadRequestsTest(Base):
    def test_bad_bodies_get_400_with_a_message(self):
        cases = {
            "not json": "the body is not JSON",
            "{}": "the body must be a JSON array",
            '[{"arguments": []}]': 'element 0 has no "url" string',
            '[{"url": "file:///etc/passwd"}]': "http:// or https://",
            '[{"url": "http://x/", "arguments": 3}]': '"arguments" must be an array',
            json.dumps([{"url": "http://x/"}] * 33): "at most 32 calls",
        }
        for body, message in cases.items():
            with self.subTest(body=body[:40]):
                status, answer = post_raw(self.port, [], body)
                self.assertEqual(status, 400)
                self.assertIn(message, json.loads(answer)["error"])

    def test_oversized_body_is_refused(self):
        status, _ = post_raw(self.port, [], b"[" + b" " * (70 * 1024) + b"]")
        self.assertEqual(status, 413)

    def test_other_methods_and_paths(self):
        self.assertEqual(post_raw(self.port, [], "", method="GET")[0], 405)
        self.assertEqual(post_raw(self.port, [], "[]", path="/other")[0], 404)

    def test_a_failed_call_is_reported(self):
        status, answer = post_raw(self.port, [], json.dumps([{"url": "http://127.0.0.1:1/"}]))
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(answer)["error"], "1 of 1 calls failed")

    def test_an_empty_list_makes_no_calls(self):
        status, answer = post_raw(self.port, [("traceparent", VALID)], "[]")
        self.assertEqual((status, json.loads(answer)), (200, {"calls": 0}))


class SamplerTest(Base):
    env = {"OTEL_TRACES_SAMPLER": "always_off"}

    def test_the_sampler_decides_the_sampled_flag(self):
        self.assert_continued([("traceparent", VALID)], flags="00")
        trace, _, flags, _ = self.propagated([])
        self.assertEqual(flags, "02")  # new, random, not sampled


class ConfigurationTest(unittest.TestCase):
    def test_an_invalid_sampler_stops_the_process(self):
        p = testlib.Process([DYNOBS, "tracecontext-test-service", "--port", "0"],
                            env={"OTEL_TRACES_SAMPLER": "sometimes"}, stdin=None)
        self.assertEqual(p.proc.wait(10), 2)
        stop(p)
        self.assertIn('dynobs: invalid OTEL_TRACES_SAMPLER="sometimes": expected one of',
                      "".join(p.stderr_lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
