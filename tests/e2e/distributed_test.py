#!/usr/bin/env python3
"""End-to-end tests of the distributed runtime: real `dynobs worker` processes found through file
discovery and through a real etcd, called by `dynobs call` over the request plane. Prefix hits,
KV tier moves, cancellation, a worker killed mid-stream, etcd stopped and restarted while
serving, SIGTERM with a stream in flight, and every worker metric family through promtool."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import testlib  # noqa: E402

DYNOBS = None


def words(prefix, n):
    """A prompt of n distinct words (each a token or two of the mock tokenizer)."""
    return " ".join(f"{prefix}{i}" for i in range(n))


class Worker:
    """A `dynobs worker` child; knows its ids and ports from its log."""

    def __init__(self, env, *args):
        self.env = dict(env)
        self.env.setdefault("DYN_SYSTEM_PORT", "0")
        self.env.setdefault("DYN_SYSTEM_HOST", "127.0.0.1")
        self.process = testlib.Process([DYNOBS, "worker", *args], env=self.env, stdin=None)
        started = self.process.wait_line(lambda l: "worker started" in l, timeout=15)
        self.worker_id = re.search(r"worker_id=([0-9a-f]+)", started).group(1)
        line = self.process.wait_line(lambda l: "system status server bound to:" in l)
        self.system_port = int(re.search(r":(\d+)\s*$", line.strip()).group(1))
        self.kvbm_port = None
        if self.env.get("DYN_KVBM_METRICS"):
            line = self.process.wait_line(lambda l: "KVBM metrics server started" in l)
            self.kvbm_port = int(re.search(r"port=(\d+)", line).group(1))

    def metrics(self):
        status, _, body = testlib.http_get(f"http://127.0.0.1:{self.system_port}/metrics")
        assert status == 200, status
        return body.decode()

    def kvbm_metrics(self):
        status, _, body = testlib.http_get(f"http://127.0.0.1:{self.kvbm_port}/metrics")
        assert status == 200, status
        return body.decode()

    def stop(self):
        return self.process.stop()


def call(env, *args, timeout=60):
    """Runs `dynobs call`; returns (exit status, the JSON lines it printed, stderr)."""
    full = dict(os.environ)
    full.update(env)
    r = subprocess.run([DYNOBS, "call", *args], env=full, capture_output=True, text=True,
                       timeout=timeout)
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return r.returncode, lines, r.stderr


def ends(lines):
    return [l for l in lines if "status" in l]


def items(lines):
    return [l["item"] for l in lines if "item" in l]


class FileDiscoveryTest(unittest.TestCase):
    """Two workers on one machine, through a discovery directory."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dynobs-e2e-")
        cls.env = {"DYN_DISCOVERY_BACKEND": "file",
                   "DYN_DISCOVERY_DIR": os.path.join(cls.dir, "discovery")}
        cls.workers = [Worker(cls.env, "--speedup", "20") for _ in range(2)]

    @classmethod
    def tearDownClass(cls):
        for w in cls.workers:
            w.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_round_robin_reaches_both_workers(self):
        rc, lines, err = call(self.env, "--requests", "6", "--max-tokens", "4",
                              "--wait-instances", "2")
        self.assertEqual(rc, 0, err)
        done = ends(lines)
        self.assertEqual([e["status"] for e in done], ["OK"] * 6)
        self.assertEqual({e["instance"] for e in done}, {w.worker_id for w in self.workers})
        self.assertTrue(all(e["items"] >= 1 for e in done))
        tokens = sum(len(i["token_ids"]) for i in items(lines))
        self.assertEqual(tokens, 6 * 4)
        self.assertEqual(items(lines)[-1]["finish_reason"], "length")

    def test_records_are_files_with_the_model(self):
        records = []
        for root, _, files in os.walk(self.env["DYN_DISCOVERY_DIR"]):
            for f in files:
                if f.endswith(".json"):
                    with open(os.path.join(root, f)) as record:
                        records.append(json.load(record))
        ids = {format(r["instance_id"], "x") for r in records}
        self.assertTrue({w.worker_id for w in self.workers} <= ids, records)
        mine = [r for r in records if format(r["instance_id"], "x") == self.workers[0].worker_id]
        self.assertEqual(mine[0]["model"]["name"], "mock-llm")
        self.assertEqual(mine[0]["model"]["kv_block_size"], 16)
        self.assertEqual(mine[0]["endpoint"], "generate")

    def test_repeated_prompt_hits_the_prefix_cache(self):
        target = self.workers[0].worker_id
        prompt = words("prefix", 80)
        cached = []
        for _ in range(2):
            rc, lines, err = call(self.env, "--instance", target, "--prompt", prompt,
                                  "--max-tokens", "2")
            self.assertEqual(rc, 0, err)
            cached.append(items(lines)[0]["cached_tokens"])
        self.assertEqual(cached[0], 0)
        self.assertGreaterEqual(cached[1], 64)  # the prompt's full 16-token blocks

    def test_the_trace_continues_in_the_worker(self):
        target = self.workers[1]
        rc, lines, err = call(self.env, "--instance", target.worker_id, "--max-tokens", "1",
                              "--request-id", "e2e-trace-1")
        self.assertEqual(rc, 0, err)
        trace_id = ends(lines)[0]["trace_id"]
        line = target.process.wait_line(
            lambda l: "request completed" in l and f"trace_id={trace_id}" in l)
        self.assertIn("x_request_id=e2e-trace-1", line)

    def test_cancellation_stops_the_generation(self):
        target = self.workers[0]
        before = testlib.sample(target.metrics(), "dynamo_component_cancellation_total",
                        dynamo_endpoint="generate") or 0
        start = time.monotonic()
        rc, lines, err = call(self.env, "--instance", target.worker_id, "--max-tokens", "30000",
                              "--cancel-after", "5")
        self.assertEqual(rc, 0, err)
        self.assertEqual(ends(lines)[0]["status"], "CANCELLED")
        self.assertLess(time.monotonic() - start, 10)  # 30000 tokens would take much longer

        def stopped():
            text = target.metrics()
            return (testlib.sample(text, "dynamo_component_cancellation_total",
                           dynamo_endpoint="generate") == before + 1
                    and testlib.sample(text, "dynamo_component_inflight_requests",
                               dynamo_endpoint="generate") == 0
                    and testlib.sample(text, "dynamo_component_gpu_cache_usage_percent") == 0)
        testlib.wait_for(stopped, timeout=5, what="the worker to drop the cancelled stream")

    def test_worker_metric_families_pass_promtool(self):
        rc, _, err = call(self.env, "--requests", "2", "--max-tokens", "2")
        self.assertEqual(rc, 0, err)
        text = self.workers[0].metrics()
        for family in ("dynamo_component_requests_total", "dynamo_component_inflight_requests",
                       "dynamo_component_request_bytes_total",
                       "dynamo_component_response_bytes_total",
                       "dynamo_component_request_duration_seconds",
                       "dynamo_component_cancellation_total",
                       "dynamo_work_handler_network_transit_seconds",
                       "dynamo_work_handler_time_to_first_response_seconds",
                       "dynamo_component_total_blocks",
                       "dynamo_component_gpu_cache_usage_percent",
                       "dynamo_component_kv_publisher_engines_dropped_events_total",
                       "dynamo_component_uptime_seconds"):
            self.assertIn(f"# TYPE {family} ", text)
        self.assertEqual(testlib.sample(text, "dynamo_component_total_blocks", model="mock-llm"), 8192)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_health_lists_the_endpoints(self):
        status, _, body = testlib.http_get(
            f"http://127.0.0.1:{self.workers[0].system_port}/health")
        self.assertEqual(status, 200)
        health = json.loads(body)
        self.assertEqual(health["status"], "ready")
        self.assertEqual(health["endpoints"], {"generate": "ready", "load_metrics": "ready"})

    def test_load_metrics_streams_load_and_kv_events(self):
        target = self.workers[1].worker_id
        sub = testlib.Process([DYNOBS, "call", "--endpoint", "load_metrics", "--instance", target,
                               "--body", "{}", "--duration-ms", "3000"],
                              env=self.env, stdin=None)
        sub.wait_line(lambda l: '"load"' in l, stream="stdout")
        rc, _, err = call(self.env, "--instance", target, "--prompt", words("ev", 40),
                          "--max-tokens", "2")
        self.assertEqual(rc, 0, err)
        line = sub.wait_line(lambda l: '"kv_events"' in l and '"stored"' in l, stream="stdout")
        event = json.loads(line)["item"]
        self.assertGreater(event["event_id"], 0)
        sub.stop()


class WorkerFaultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dynobs-e2e-")
        self.env = {"DYN_DISCOVERY_BACKEND": "file",
                    "DYN_DISCOVERY_DIR": os.path.join(self.dir, "discovery")}
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *args, env=None):
        full = dict(self.env)
        full.update(env or {})
        w = Worker(full, *args)
        self.workers.append(w)
        return w

    def test_kill_9_mid_stream_gives_the_caller_an_error_within_a_second(self):
        victim = self.start()
        survivor = self.start()
        caller = testlib.Process([DYNOBS, "call", "--instance", victim.worker_id,
                                  "--max-tokens", "30000"], env=self.env, stdin=None)
        caller.wait_line(lambda l: '"item"' in l, stream="stdout")
        killed = time.monotonic()
        victim.process.proc.kill()
        line = caller.wait_line(lambda l: '"status"' in l, stream="stdout", timeout=5)
        elapsed = time.monotonic() - killed
        end = json.loads(line)
        self.assertEqual(end["status"], "UNAVAILABLE", end)
        self.assertIn("connection lost", end["message"])
        self.assertLess(elapsed, 1.0)
        self.assertEqual(caller.proc.wait(5), 1)
        caller.stop()
        # Its record stays behind (no clean exit) but is seen as stale: callers use the survivor.
        rc, lines, err = call(self.env, "--requests", "4", "--max-tokens", "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual({e["instance"] for e in ends(lines)}, {survivor.worker_id})

    def test_sigterm_deregisters_first_and_ends_streams_within_the_grace(self):
        w = self.start("--shutdown-grace-ms", "1500")
        caller = testlib.Process([DYNOBS, "call", "--max-tokens", "30000"], env=self.env,
                                 stdin=None)
        caller.wait_line(lambda l: '"item"' in l, stream="stdout")
        base = f"http://127.0.0.1:{w.system_port}"
        self.assertEqual(testlib.http_get(base + "/health")[0], 200)
        start = time.monotonic()
        w.process.proc.send_signal(signal.SIGTERM)
        # While it drains: neither ready nor live, and no longer in discovery.
        testlib.wait_for(lambda: testlib.http_get(base + "/health")[0] == 503, timeout=1)
        self.assertEqual(testlib.http_get(base + "/live")[0], 503)
        rc, lines, _ = call(self.env, "--wait-instances", "0", "--max-tokens", "1")
        self.assertEqual(rc, 1)
        self.assertEqual(ends(lines)[0]["status"], "UNAVAILABLE")  # no instance to call
        self.assertEqual(w.process.proc.wait(10), 0)
        self.assertLess(time.monotonic() - start, 4.0)
        line = caller.wait_line(lambda l: '"status"' in l, stream="stdout", timeout=5)
        self.assertNotEqual(json.loads(line)["status"], "OK")
        log = "".join(w.process.stderr_lines)
        self.assertLess(log.index("deregistered from discovery"), log.index("worker stopped"))
        self.assertEqual(os.listdir(os.path.join(self.env["DYN_DISCOVERY_DIR"])) and
                         [f for _, _, fs in os.walk(self.env["DYN_DISCOVERY_DIR"]) for f in fs
                          if f.endswith(".json")], [])
        caller.stop()

    def test_a_small_device_cache_offloads_to_host_and_disk_and_onboards_back(self):
        disk_root = os.path.join(self.dir, "kv")
        os.makedirs(disk_root)
        w = self.start("--num-gpu-blocks", "16", "--host-blocks", "8", "--disk-cache-mib", "1",
                       "--disk-dir", disk_root, "--speedup", "20",
                       env={"DYN_KVBM_METRICS": "1", "DYN_KVBM_METRICS_PORT": "0"})
        first = words("first", 60)  # 3+ blocks
        rc, _, err = call(self.env, "--instance", w.worker_id, "--prompt", first,
                          "--max-tokens", "2")
        self.assertEqual(rc, 0, err)
        for j in range(4):  # push `first` out of G1 (16 blocks), then out of G2 (8 blocks)
            rc, _, err = call(self.env, "--instance", w.worker_id,
                              "--prompt", words(f"other{j}-", 60), "--max-tokens", "2")
            self.assertEqual(rc, 0, err)
        blocks_on_disk = os.listdir(os.path.join(disk_root, f"dynobs-kv-{w.worker_id}"))
        self.assertGreater(len(blocks_on_disk), 0)
        rc, lines, err = call(self.env, "--instance", w.worker_id, "--prompt", first,
                              "--max-tokens", "2")
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(items(lines)[0]["cached_tokens"], 48)  # back from disk
        kvbm = w.kvbm_metrics()
        self.assertGreater(testlib.sample(kvbm, "kvbm_offload_blocks_d2h"), 0)
        self.assertGreater(testlib.sample(kvbm, "kvbm_offload_blocks_h2d"), 0)  # host -> disk
        self.assertGreater(testlib.sample(kvbm, "kvbm_onboard_blocks_d2d"), 0)  # disk -> device
        self.assertGreaterEqual(testlib.sample(kvbm, "kvbm_matched_tokens"), 48)
        self.assertGreater(testlib.sample(kvbm, "kvbm_disk_cache_hit_rate"), 0)
        # promtool's only remarks: the lint rule that counters end in _total. Dynamo names the
        # KVBM counters without it, and dashboards query those names (docs/compatibility.md).
        r = subprocess.run(["promtool", "check", "metrics"], input=kvbm, capture_output=True,
                           text=True)
        remarks = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        self.assertIn(r.returncode, (0, 3), remarks)
        for remark in remarks:
            self.assertRegex(remark, r'^kvbm_[a-z0-9_]+ counter metrics should have "_total" '
                                     r'suffix$')
        self.assertEqual(len(remarks), 10)
        for family in ("kvbm_offload_blocks_d2h", "kvbm_offload_blocks_h2d",
                       "kvbm_offload_blocks_d2d", "kvbm_offload_blocks_d2o",
                       "kvbm_onboard_blocks_h2d", "kvbm_onboard_blocks_d2d",
                       "kvbm_onboard_blocks_o2d", "kvbm_matched_tokens",
                       "kvbm_host_cache_hit_rate", "kvbm_disk_cache_hit_rate",
                       "kvbm_object_cache_hit_rate", "kvbm_object_read_failures",
                       "kvbm_object_write_failures"):
            self.assertIn(f"# TYPE {family} ", kvbm)
        w.stop()
        self.assertEqual(os.listdir(disk_root), [])  # the disk tier removed its directory

    def test_overload_is_refused_at_once(self):
        w = self.start("--max-concurrent-streams", "1")
        first = testlib.Process([DYNOBS, "call", "--instance", w.worker_id,
                                 "--max-tokens", "30000"], env=self.env, stdin=None)
        first.wait_line(lambda l: '"item"' in l, stream="stdout")
        rc, lines, _ = call(self.env, "--instance", w.worker_id, "--max-tokens", "1")
        self.assertEqual(rc, 1)
        self.assertEqual(ends(lines)[0]["status"], "RESOURCE_EXHAUSTED")
        self.assertIn("overloaded", ends(lines)[0]["message"])
        first.stop()
        text = w.metrics()
        self.assertGreaterEqual(testlib.sample(text, "dynamo_component_errors_total",
                                       dynamo_endpoint="generate", error_type="generate"), 1)

    def test_bad_settings_stop_the_worker_with_one_line(self):
        cases = [({"DYN_KVBM_METRICS_PORT": "x"}, "DYN_KVBM_METRICS_PORT"),
                 ({"DYN_DISCOVERY_BACKEND": "zookeeper"}, "DYN_DISCOVERY_BACKEND"),
                 ({"DYN_DISCOVERY_TTL_SECONDS": "1"}, "DYN_DISCOVERY_TTL_SECONDS")]
        for env, name in cases:
            full = dict(self.env)
            full.update(env)
            p = testlib.Process([DYNOBS, "worker"], env=full, stdin=None)
            self.assertEqual(p.proc.wait(10), 2, env)
            p.stop()
            self.assertEqual(len(p.stderr_lines), 1, p.stderr_lines)
            self.assertIn(name, p.stderr_lines[0])
        p = testlib.Process([DYNOBS, "worker", "--block-size", "0"], env=self.env, stdin=None)
        self.assertEqual(p.proc.wait(10), 2)
        p.stop()
        self.assertIn("--block-size", "".join(p.stderr_lines))
        for argv in (["--block-size", "many"], ["--no-such-flag"],
                     ["--request-plane-port", "70000"]):
            p = testlib.Process([DYNOBS, "worker", *argv], env=self.env, stdin=None)
            self.assertEqual(p.proc.wait(10), 2, argv)
            p.stop()
            self.assertTrue(p.stderr_lines, argv)


class Etcd:
    """A real etcd on free loopback ports with a temp data dir."""

    def __init__(self, root):
        self.root = root
        self.client_port = testlib.free_port()
        self.peer_port = testlib.free_port()
        self.generation = 0
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.client_port}"

    def start(self, fresh=False):
        self.generation += 1
        data = os.path.join(self.root, f"etcd-data{self.generation if fresh else ''}")
        peer = f"http://127.0.0.1:{self.peer_port}"
        with open(os.path.join(self.root, "etcd.log"), "a") as log:
            self.process = subprocess.Popen(
                ["etcd", "--name", "t", "--data-dir", data, "--listen-client-urls", self.url,
                 "--advertise-client-urls", self.url, "--listen-peer-urls", peer,
                 "--initial-advertise-peer-urls", peer, "--initial-cluster", f"t={peer}",
                 "--log-level", "warn"],
                stdout=subprocess.DEVNULL, stderr=log)

        def healthy():
            try:
                return testlib.http_get(self.url + "/health", timeout=1)[0] == 200
            except OSError:
                return False
        testlib.wait_for(healthy, timeout=20, what="etcd to answer")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@unittest.skipUnless(shutil.which("etcd"), "etcd-server is not installed")
class EtcdDiscoveryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dynobs-etcd-")
        self.etcd = Etcd(self.dir)
        self.etcd.start()
        self.env = {"DYN_DISCOVERY_BACKEND": "etcd", "ETCD_ENDPOINTS": self.etcd.url,
                    "DYN_DISCOVERY_TTL_SECONDS": "3"}
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.stop()
        self.etcd.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_two_workers_through_etcd(self):
        self.workers = [Worker(self.env, "--speedup", "20") for _ in range(2)]
        rc, lines, err = call(self.env, "--requests", "4", "--max-tokens", "2",
                              "--wait-instances", "2")
        self.assertEqual(rc, 0, err)
        self.assertEqual({e["instance"] for e in ends(lines)},
                         {w.worker_id for w in self.workers})
        # A clean stop removes the instance from etcd at once.
        gone = self.workers.pop()
        gone.stop()
        rc, lines, err = call(self.env, "--requests", "3", "--max-tokens", "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual({e["instance"] for e in ends(lines)}, {self.workers[0].worker_id})

    def test_etcd_stopped_and_restarted_while_serving(self):
        self.workers = [Worker(self.env, "--speedup", "20") for _ in range(2)]
        # A long-lived caller: its view of the instances survives the outage.
        caller = testlib.Process([DYNOBS, "call", "--requests", "60", "--interval-ms", "100",
                                  "--max-tokens", "1", "--wait-instances", "2"],
                                 env=self.env, stdin=None)
        caller.wait_line(lambda l: '"request":5' in l, stream="stdout", timeout=20)
        self.etcd.stop()
        for w in self.workers:
            w.process.wait_line(lambda l: "etcd unreachable" in l, timeout=20)
        time.sleep(1.0)
        self.etcd.start()
        for w in self.workers:
            w.process.wait_line(lambda l: "etcd reachable again" in l, timeout=20)
        caller.proc.wait(60)
        caller.stop()
        done = [json.loads(l) for l in caller.stdout_lines if '"status"' in l]
        self.assertEqual([d for d in done if d["status"] != "OK"], [])
        self.assertEqual(len(done), 60)
        self.assertEqual(caller.proc.returncode, 0)
        self.assertEqual({d["instance"] for d in done}, {w.worker_id for w in self.workers})

    def test_workers_register_again_in_an_etcd_that_lost_its_data(self):
        self.workers = [Worker(self.env, "--speedup", "20") for _ in range(2)]
        rc, _, err = call(self.env, "--wait-instances", "2", "--max-tokens", "1")
        self.assertEqual(rc, 0, err)
        self.etcd.stop()
        time.sleep(1.0)
        self.etcd.start(fresh=True)  # empty: only re-registration brings the workers back
        rc, lines, err = call(self.env, "--requests", "4", "--max-tokens", "1",
                              "--wait-instances", "2", "--wait-ms", "15000")
        self.assertEqual(rc, 0, err)
        self.assertEqual({e["instance"] for e in ends(lines)},
                         {w.worker_id for w in self.workers})
        for w in self.workers:
            w.process.wait_line(lambda l: "re-register" in l)


def main():
    global DYNOBS
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
