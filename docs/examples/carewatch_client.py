"""A small Carewatch API client (standard library only).

client = Carewatch("http://localhost:8000", api_key="cwk_...", clinic="riverside-dental")
client.push_reviews([{"source": "google", "external_id": "g-1", "rating": 5,
                      "text": "Lovely team", "published_at": "2026-11-01T10:00:00Z"}])
for review in client.reviews(sentiment="negative"):
    print(review["id"], review["text"])
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator


class CarewatchError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status}: {body.get('detail')} ({body.get('code')})")
        self.status, self.body = status, body


class Carewatch:
    def __init__(self, base_url: str, *, api_key: str, clinic: str, timeout: float = 30):
        self.base = base_url.rstrip("/")
        self.clinic_base = f"{self.base}/clinics/{clinic}/api/v1"
        self.headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.timeout = timeout

    def _call(self, method: str, url: str, body=None, headers=None, retries: int = 5) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(retries):
            request = urllib.request.Request(
                url,
                data=data,
                method=method,
                headers={**self.headers, "Content-Type": "application/json", **(headers or {})},
            )  # noqa: S310 - the caller's own Carewatch URL
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.load(response)
            except urllib.error.HTTPError as exc:
                payload = json.loads(exc.read() or b"{}")
                if exc.code in (429, 503) and attempt + 1 < retries:  # rate limited / briefly down
                    time.sleep(float(exc.headers.get("Retry-After", "1")))
                    continue
                raise CarewatchError(exc.code, payload) from None
        raise AssertionError("unreachable")

    def push_reviews(self, items: list[dict]) -> dict:
        """Up to 1,000 items per call; safe to retry (one Idempotency-Key per batch)."""
        key = str(uuid.uuid4())
        return self._call("POST", f"{self.clinic_base}/reviews/ingest/", {"items": items},
                          headers={"Idempotency-Key": key})  # fmt: skip

    def reviews(self, **filters) -> Iterator[dict]:
        url = f"{self.clinic_base}/reviews/?{urllib.parse.urlencode(filters)}"
        while url:
            page = self._call("GET", url)
            yield from page["results"]
            url = page["next"]


if __name__ == "__main__":
    import os

    client = Carewatch(os.environ.get("CAREWATCH_URL", "http://localhost:8000"),
                       api_key=os.environ["CAREWATCH_API_KEY"], clinic=os.environ["CAREWATCH_CLINIC"])  # fmt: skip
    print(client.push_reviews([{"source": "api", "external_id": f"example-{uuid.uuid4()}", "rating": 4,
                                "text": "Pushed from the example client",
                                "published_at": "2026-11-01T10:00:00Z"}])["counts"])  # fmt: skip
    for review in client.reviews(page_size=5):
        print(review["id"], review["rating"], review["text"][:60])
        break
