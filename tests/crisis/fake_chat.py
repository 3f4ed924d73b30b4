"""Local stand-ins for Slack's and Teams' incoming webhooks: a small HTTP server on
127.0.0.1 that answers like them ("ok" / 200) and records every post (no outside network)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChat:
    def __init__(self):
        self.posts: list[dict] = []  # {"path", "json", "at"}
        # path -> (status, body, seconds to wait first): how a failing channel answers, as
        # Slack ("no_service" / 404) or Teams (a Workflow's JSON error) do; default 200 "ok"
        self.answers: dict[str, tuple[int, str, float]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                outer.posts.append({"path": self.path, "json": data, "at": time.time()})
                ok = "ok" if "slack" in self.path else "1"
                status, text, delay = outer.answers.get(self.path, (200, ok, 0.0))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(text.encode())
                except OSError:  # the caller stopped waiting (a timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeChat:
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, path: str) -> list[dict]:
        return [p for p in self.posts if p["path"] == path]
