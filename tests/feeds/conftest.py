"""Fixtures for the feeds tests: `fake_platforms`, a started fake of Google Business Profile,
Facebook Graph and Yelp Fusion on 127.0.0.1 (an ephemeral port), and `connect`, which makes
a connector pointed at it with fast retry timings and a `sleep` that records the waits the
connector asked for (`sleeps`) instead of sleeping."""

from __future__ import annotations

import pytest

from feeds.connectors import Connector, make_connector
from tests.feeds.fake_platforms import FakePlatforms

# Retry timings that keep tests fast where a real sleep is used (polling, the outbox).
FAST_HTTP = {"backoff_base": 0.01, "backoff_max": 0.05, "max_retry_after": 2.0, "timeout": 5.0}


@pytest.fixture
def fake_platforms():
    fake = FakePlatforms().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """The waits (seconds) that connectors made with `connect` asked for, in order."""
    return []


@pytest.fixture
def connect(fake_platforms, sleeps):
    def make(
        kind: str,
        *,
        settings: dict | None = None,
        credentials: dict | None = None,
        **http_options,
    ) -> Connector:
        return make_connector(
            kind,
            {**fake_platforms.settings(kind), **(settings or {})},
            credentials if credentials is not None else fake_platforms.credentials(kind),
            fake_platforms.base_url,
            **{**FAST_HTTP, "sleep": sleeps.append, **http_options},
        )

    return make
