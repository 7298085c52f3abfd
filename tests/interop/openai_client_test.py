#!/usr/bin/env python3
"""Interop: the official OpenAI Node client (`openai` npm package, pinned in
openai-client/package-lock.json) against `dynobs serve`: models, chat and completions, streamed
and unary, and the errors it raises for 404 and 400."""
import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

DYNOBS = None
CLIENT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openai-client")


class OpenAiClientTest(unittest.TestCase):
    def test_the_official_client_works_unchanged(self):
        testlib.ensure_npm_deps(CLIENT_DIR, "openai")
        port = testlib.free_port()
        serve = testlib.Process([DYNOBS, "serve", "--http-port", str(port), "--speedup", "20"],
                                stdin=None)
        try:
            base = f"http://127.0.0.1:{port}"

            testlib.wait_for_model(base)
            r = subprocess.run(["node", os.path.join(CLIENT_DIR, "client.mjs"), base + "/v1",
                                "mock-llm"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual(out["models"], ["mock-llm"])
            chat = out["chat"]
            self.assertEqual(chat["object"], "chat.completion")
            self.assertEqual(chat["role"], "assistant")
            self.assertTrue(chat["content"])
            self.assertEqual(chat["finish_reason"], "length")
            self.assertEqual(chat["usage"]["completion_tokens"], 5)
            stream = out["chat_stream"]
            self.assertEqual(len(stream["deltas"]), 6)
            self.assertEqual(stream["finish_reason"], "length")
            self.assertEqual(stream["usage"]["completion_tokens"], 6)
            self.assertEqual(out["completion"]["object"], "text_completion")
            self.assertEqual(out["completion"]["usage"]["completion_tokens"], 4)
            self.assertEqual(out["completion_stream"]["text"], out["completion"]["text"])
            self.assertEqual(out["not_found"]["status"], 404)
            self.assertEqual(out["not_found"]["code"], "model_not_found")
            self.assertEqual(out["bad_request"], {"status": 400, "param": "temperature"})
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
