"""A local receiver for Carewatch webhooks (docs/webhooks.md): checks each delivery's signature
and prints one line per event. Python 3.9+, standard library only.

    CAREWATCH_WEBHOOK_SECRET=cwhs_… python docs/examples/webhook_receiver.py   # port 9000
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def carewatch_verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True when the X-Carewatch-Signature `header` signs `body` (the raw bytes) with `secret`
    and is at most `tolerance` seconds old."""
    pairs = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in pairs if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, value in pairs)


class Receiver(BaseHTTPRequestHandler):
    secret = os.environ.get("CAREWATCH_WEBHOOK_SECRET", "")
    seen: set[str] = set()

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not carewatch_verify(self.secret, self.headers.get("X-Carewatch-Signature", ""), body):
            self.send_response(400)  # a failed attempt: Carewatch retries it
            self.end_headers()
            print("refused: bad or old signature", flush=True)
            return
        self.send_response(204)  # answer first, work after
        self.end_headers()
        event = json.loads(body)
        again = " (already processed)" if event["id"] in self.seen else ""
        self.seen.add(event["id"])
        print(f"{event['event']} {event['id']} for {event['clinic']}{again}", flush=True)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "9000"))
    server = HTTPServer(("127.0.0.1", port), Receiver)  # bound and listening from here on
    print(f"listening on http://127.0.0.1:{port}/carewatch", flush=True)
    server.serve_forever()
