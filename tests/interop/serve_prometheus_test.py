#!/usr/bin/env python3
"""Interop: a real Prometheus server scrapes a running `dynobs serve --kvbm` (the frontend, both
workers' system ports and their KVBM ports) after some traffic; queries over dynamo_frontend_*,
dynamo_component_* and kvbm_* return data, and every target is up without scrape errors."""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

DYNOBS = None


class ServePrometheusTest(unittest.TestCase):
    def test_prometheus_scrapes_every_process(self):
        port = testlib.free_port()
        serve = testlib.Process([DYNOBS, "serve", "--http-port", str(port), "--speedup", "20",
                                 "--kvbm"], stdin=None)
        prom = None
        directory = tempfile.mkdtemp(prefix="dynobs-prom-serve-")
        try:
            serve.wait_line(lambda l: l.startswith("  discovery"), stream="stdout")
            banner = "".join(serve.stdout_lines)
            targets = [f"127.0.0.1:{port}"] + [
                f"127.0.0.1:{p}" for p in re.findall(r"http://localhost:(\d+)/metrics", banner)
                if int(p) != port]
            self.assertEqual(len(targets), 5)  # frontend, 2 workers, 2 KVBM ports
            base = f"http://127.0.0.1:{port}"
            testlib.wait_for_model(base)
            for i in range(6):
                body = json.dumps({"model": "mock-llm", "max_tokens": 4, "stream": i % 2 == 0,
                                   "messages": [{"role": "user", "content": "hello " * 40}]})
                with urllib.request.urlopen(urllib.request.Request(
                        base + "/v1/chat/completions", data=body.encode(),
                        headers={"Content-Type": "application/json"}), timeout=10) as r:
                    r.read()

            prom_port = testlib.free_port()
            config = os.path.join(directory, "prometheus.yml")
            with open(config, "w") as f:
                f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                        "  - job_name: dynobs\n    static_configs:\n"
                        f"      - targets: {json.dumps(targets)}\n")
            prom = testlib.Process([
                "prometheus", f"--config.file={config}",
                f"--storage.tsdb.path={directory}/data",
                f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"], stdin=None)
            api = f"http://127.0.0.1:{prom_port}/api/v1"

            def all_up():
                try:
                    status, _, body = testlib.http_get(f"{api}/targets")
                except OSError:
                    return None
                if status != 200:
                    return None
                active = json.loads(body)["data"]["activeTargets"]
                return (len(active) == 5 and all(t["health"] == "up" for t in active)
                        and active)
            active = testlib.wait_for(all_up, timeout=60, interval=0.5,
                                      what="every target scraped")
            self.assertEqual([t["lastError"] for t in active], [""] * 5)

            def query(promql):
                url = f"{api}/query?" + urllib.parse.urlencode({"query": promql})
                status, _, body = testlib.http_get(url)
                self.assertEqual(status, 200, body)
                return json.loads(body)["data"]["result"]

            r = query('sum(dynamo_frontend_requests_total{status="success"})')
            self.assertEqual(float(r[0]["value"][1]), 6)
            r = query("histogram_quantile(0.5, sum by (le) "
                      "(dynamo_frontend_time_to_first_token_seconds_bucket))")
            self.assertGreater(float(r[0]["value"][1]), 0)
            r = query('sum(dynamo_component_requests_total{dynamo_endpoint="generate"})')
            self.assertEqual(float(r[0]["value"][1]), 6)
            self.assertEqual(len(query("dynamo_component_total_blocks")), 2)
            self.assertEqual(len(query("kvbm_offload_blocks_d2h")), 2)
            self.assertEqual(len(query("dynamo_component_uptime_seconds")), 3)
        finally:
            if prom:
                prom.stop()
            serve.stop()
            shutil.rmtree(directory, ignore_errors=True)


def main():
    global DYNOBS
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynobs", required=True)
    args, rest = parser.parse_known_args()
    DYNOBS = args.dynobs
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
