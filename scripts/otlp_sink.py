#!/usr/bin/env python3
"""A local OTLP/HTTP sink for load runs (scripts/frontend_load.py): accepts POST /v1/traces and
/v1/logs, reads the whole body, answers 200 with an empty protobuf Export*ServiceResponse (zero
bytes is a valid empty message), and decodes nothing, so that it costs the machine almost no
CPU. GET /stats answers what it took so far: {"requests","bytes","bad"}. Use
tests/interop/otlp-receiver to check what is exported; this only takes it.

  scripts/otlp_sink.py --port 0 --ready-file F
"""
import argparse
import http.server
import json
import signal
import sys
import threading


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", required=True)
    args = parser.parse_args()
    stats = {"requests": 0, "bytes": 0, "bad": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            ok = self.path in ("/v1/traces", "/v1/logs") and len(body) == length
            with lock:
                stats["requests" if ok else "bad"] += 1
                stats["bytes"] += len(body)
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            with lock:
                body = json.dumps(stats).encode()
            self.send_response(200 if self.path == "/stats" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)

    signal.signal(signal.SIGTERM, lambda *unused: threading.Thread(target=server.shutdown).start())
    with open(args.ready_file, "w") as f:
        json.dump({"http": f"127.0.0.1:{server.server_address[1]}"}, f)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
