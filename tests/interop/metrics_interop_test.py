#!/usr/bin/env python3
"""Interop checks of dynobs's /metrics with outside tools, against a running fixture process:

  * promtool check metrics (Prometheus's own parser and lint rules): no problems;
  * Python prometheus_client's text and OpenMetrics parsers: every family, type and sample count;
  * a real Prometheus server scraping the process: PromQL over the series, histogram_quantile.

Run with Debian's /usr/bin/python3 (it sees python3-prometheus-client).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

FIXTURE = None
ACCEPT_PROMETHEUS = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

# family name as prometheus_client reports it -> (type, number of samples)
EXPECTED_FAMILIES = {
    "dynamo_component_uptime_seconds": ("gauge", 1),
    "process_cpu_seconds": ("counter", 1),
    "process_resident_memory_bytes": ("gauge", 1),
    "process_virtual_memory_bytes": ("gauge", 1),
    "process_open_fds": ("gauge", 1),
    "process_max_fds": ("gauge", 1),
    "process_start_time_seconds": ("gauge", 1),
    "dynamo_component_requests": ("counter", 1),
    "dynamo_component_inflight_requests": ("gauge", 1),
    "dynamo_component_request_bytes": ("counter", 1),
    "dynamo_component_request_duration_seconds": ("histogram", 17 + 1 + 2),
    "dynamo_component_errors": ("counter", 2),
    "dynamo_component_router_kv_hit_rate": ("histogram", 21 + 1 + 2),
    "dynamo_frontend_requests": ("counter", 2),
    "dynamo_frontend_time_to_first_token_seconds": ("histogram", 18 + 1 + 2),
    "dynamo_frontend_gpu_cache_usage_ratio": ("gauge", 1),
    "dynobs_fixture_latency_seconds": ("histogram", 4 + 1 + 2),
    "dynobs_fixture_float": ("counter", 1),
    # dynobs's own: log records dropped per level, every level present from the start.
    "dynamo_logging_dropped_records": ("counter", 5),
}


class Fixture:
    def __init__(self, path):
        self.process = testlib.Process([path])
        line = self.process.wait_line(lambda l: l.startswith("PORT "), stream="stdout")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}/metrics"

    def stop(self):
        self.process.stop()


def setUpModule():
    global FIXTURE
    FIXTURE = Fixture(ARGS.fixture)


def tearDownModule():
    FIXTURE.stop()


def scrape(headers=None):
    status, h, body = testlib.http_get(FIXTURE.url, headers)
    assert status == 200, status
    return h, testlib.decode_body(h, body)


class PromtoolTest(unittest.TestCase):
    def test_promtool_check_metrics_has_no_problems(self):
        _, text = scrape()
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((r.stdout + r.stderr).strip(), "")


class ClientParserTest(unittest.TestCase):
    def check_families(self, families):
        got = {f.name: (f.type, len(f.samples)) for f in families}
        for name, expected in EXPECTED_FAMILIES.items():
            self.assertEqual(got.get(name), expected, name)
        self.assertEqual(set(got), set(EXPECTED_FAMILIES))

    def test_text_format(self):
        from prometheus_client.parser import text_string_to_metric_families
        h, text = scrape()
        self.assertEqual(h["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        families = list(text_string_to_metric_families(text))
        self.check_families(families)
        requests = next(f for f in families if f.name == "dynamo_frontend_requests")
        models = {s.labels["model"] for s in requests.samples}
        self.assertIn('odd "model" \\ name\nx', models)  # escaping round-trips
        req = next(f for f in families if f.name == "dynamo_component_requests")
        self.assertEqual(req.samples[0].value, 42)
        self.assertEqual(req.samples[0].labels, {
            "dynamo_namespace": "dynamo", "dynamo_component": "backend",
            "dynamo_endpoint": "generate", "worker_id": "694d98147d54be25"})

    def test_openmetrics_format_as_prometheus_negotiates_it(self):
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
        h, text = scrape({"Accept": ACCEPT_PROMETHEUS, "Accept-Encoding": "gzip"})
        self.assertEqual(h["content-type"],
                         "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.assertEqual(h["content-encoding"], "gzip")
        self.assertTrue(text.endswith("# EOF\n"))
        self.check_families(list(text_string_to_metric_families(text)))


class PrometheusServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dynobs-prom-")
        cls.port = testlib.free_port()
        config = os.path.join(cls.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: dynobs\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{FIXTURE.port}']\n")
        cls.prom = testlib.Process([
            "prometheus", f"--config.file={config}", f"--storage.tsdb.path={cls.dir}/data",
            f"--web.listen-address=127.0.0.1:{cls.port}", "--log.level=warn"])
        cls.api = f"http://127.0.0.1:{cls.port}/api/v1"

        def scraped():
            try:
                status, _, body = testlib.http_get(f"{cls.api}/targets")
            except OSError:
                return None
            if status != 200:
                return None
            targets = json.loads(body)["data"]["activeTargets"]
            return targets and targets[0]["health"] == "up" and targets[0]

        cls.target = testlib.wait_for(scraped, timeout=60, interval=0.25,
                                      what="the first successful scrape")

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def query(self, promql):
        url = f"{self.api}/query?" + urllib.parse.urlencode({"query": promql})
        status, _, body = testlib.http_get(url)
        self.assertEqual(status, 200, body)
        return json.loads(body)["data"]["result"]

    def test_target_is_up_without_scrape_errors(self):
        self.assertEqual(self.target["lastError"], "")

    def test_histogram_quantile(self):
        q50 = self.query("histogram_quantile(0.5, dynobs_fixture_latency_seconds_bucket)")
        q90 = self.query("histogram_quantile(0.9, dynobs_fixture_latency_seconds_bucket)")
        self.assertAlmostEqual(float(q50[0]["value"][1]), 2.0)
        self.assertAlmostEqual(float(q90[0]["value"][1]), 3.6)

    def test_series_keep_their_dynamo_names_and_labels(self):
        r = self.query('dynamo_component_requests_total{dynamo_endpoint="generate"}')
        self.assertEqual(len(r), 1)
        self.assertEqual(r[0]["value"][1], "42")
        self.assertEqual(r[0]["metric"]["worker_id"], "694d98147d54be25")
        r = self.query('dynamo_component_router_kv_hit_rate_bucket{le="0.15000000000000002"}')
        self.assertEqual(r[0]["value"][1], "2")
        r = self.query("dynamo_frontend_gpu_cache_usage_ratio")
        self.assertEqual(float(r[0]["value"][1]), 0.15000000000000002)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
