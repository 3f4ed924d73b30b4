"""A real HTTP endpoint for webhook deliveries: it records every request and answers as told
(a status, a status with a reason phrase, or "hang": wait without answering)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self):
        self.requests: list[Received] = []
        self._answers: deque = deque()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/carewatch"

    def answer(self, *answers) -> None:
        """The next requests' answers, in order (then 200): 500, (500, "reason"), "hang"."""
        self._answers.extend(answers)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                answer = receiver._answers.popleft() if receiver._answers else 200
                if answer == "hang":
                    receiver._release.wait(10)
                    return
                status, reason = answer if isinstance(answer, tuple) else (answer, None)
                self.send_response(status, reason)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):  # noqa: A002 - keep the test output quiet
                pass

        return Handler
