"""A small OpenAI-compatible chat-completions server for tests (run as a subprocess).

    python tests/chat_server.py --log requests.jsonl --answer answer.txt [--statuses 500,200]

Prints `PORT <n>` once listening on 127.0.0.1. Every POST body is appended to --log as one
JSON line. Responses follow --statuses in order (then 200): a non-200 status returns an
error body; 200 returns the --answer text as choices[0].message.content.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--answer", required=True)
    parser.add_argument("--statuses", default="")
    args = parser.parse_args()
    answer = Path(args.answer).read_text()
    statuses = [int(s) for s in args.statuses.split(",") if s.strip()]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                with open(args.log, "a") as log:
                    record = {"path": self.path, "auth": self.headers.get("Authorization")}
                    record["body"] = json.loads(body or b"{}")
                    log.write(json.dumps(record) + "\n")
                status = statuses.pop(0) if statuses else 200
            if status == 200:
                reply = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": record["body"].get("model", ""),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                }
            else:
                reply = {"error": {"message": f"test status {status}"}}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
