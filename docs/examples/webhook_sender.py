"""Send items to a Carewatch inbound webhook (docs/inbound-webhooks.md): signs the body with the
source's secret and POSTs it; prints Carewatch's answer. Python 3.9+, standard library only.

    CAREWATCH_WEBHOOK_SECRET=… python docs/examples/webhook_sender.py URL '{"items": [...]}'
    CAREWATCH_WEBHOOK_SECRET=… python docs/examples/webhook_sender.py URL < items.json
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
import time
import urllib.error
import urllib.request


def carewatch_sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Carewatch-Signature header for `body` (the exact bytes you send)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def send(url: str, secret: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Carewatch-Signature": carewatch_sign(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:  # 400: the body or signature, with the reason
        return refused.code, refused.read().decode()


if __name__ == "__main__":
    url = sys.argv[1]
    body = (sys.argv[2] if len(sys.argv) > 2 else sys.stdin.read()).encode()
    status, text = send(url, os.environ["CAREWATCH_WEBHOOK_SECRET"], body)
    print(text)
    sys.exit(0 if status < 400 else 1)
