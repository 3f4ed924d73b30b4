"""What every platform connector does the same way, against the fake platforms (real HTTP):
fetching a page, following pages and resuming from the cursor, waiting out a 429 as told,
expired credentials, 5xx retries with backoff, a malformed answer. Each test runs once per
connector; what the platforms word differently is in its `Platform`.

Waits are recorded by the injected `sleep` (the `sleeps` fixture), never slept."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django_tenants.utils import schema_context

from feeds.connectors import (
    SUPPORTED_KINDS,
    AuthExpired,
    RateLimited,
    TransientError,
    collect,
)
from feeds.connectors.errors import DEFAULT_RATE_LIMIT_WAIT
from feeds.polling import source_poll
from feeds.services import source_create
from tests.feeds.conftest import FAST_HTTP
from tests.feeds.fake_platforms import FakePlatforms


@dataclass(frozen=True)
class Platform:
    kind: str
    add: Callable[[FakePlatforms, int], list[str]]  # n listable items -> their external ids
    settings: dict  # only what the contract lists (Facebook: ratings, not posts)
    pages_of_three: dict  # settings for pages of 3 items
    throttle_status: int  # the HTTP status of its rate-limit answer
    throttle_message: str
    expired_message: str
    expired_code: int | str
    unhinted_throttle: dict = field(default_factory=dict)  # a limit that names no wait


PLATFORMS = [
    Platform(
        kind="google",
        add=lambda fake, n: fake.add_google_reviews(n),
        settings={},
        pages_of_three={"page_size": 3},
        throttle_status=429,
        throttle_message="Quota exceeded for quota metric 'Requests'",
        expired_message="Request had invalid authentication credentials.",
        expired_code="UNAUTHENTICATED",
    ),
    Platform(
        kind="facebook",
        add=lambda fake, n: fake.add_facebook_ratings(n),
        settings={"include_posts": False},
        pages_of_three={"limit": 3},
        throttle_status=400,  # Facebook's way: HTTP 400 with error code 4
        throttle_message="(#4) Application request limit reached",
        expired_message="Error validating access token: Session has expired on",
        expired_code=190,
    ),
    Platform(
        kind="yelp",
        add=lambda fake, n: fake.add_yelp_reviews(n),
        settings={},
        pages_of_three={"limit": 3},
        throttle_status=429,
        throttle_message="You have exceeded the queries-per-second limit",
        expired_message="Invalid access token or authorization header.",
        expired_code="TOKEN_INVALID",
        # the per-second limit implies a wait of a second; the daily one names none
        unhinted_throttle={"code": "ACCESS_LIMIT_REACHED"},
    ),
]


def test_every_connector_is_under_contract():
    assert sorted(p.kind for p in PLATFORMS) == sorted(SUPPORTED_KINDS)


@pytest.fixture(params=PLATFORMS, ids=[p.kind for p in PLATFORMS])
def platform(request) -> Platform:
    return request.param


@pytest.fixture
def connector_for(platform, connect):
    """connector_for(**settings_or_http_options) -> the platform's connector."""

    def make(settings: dict | None = None, **http_options):
        return connect(
            platform.kind, settings={**platform.settings, **(settings or {})}, **http_options
        )

    return make


def _ids(items) -> list[str]:
    return sorted(i.external_id for i in items)


def _statuses(fake: FakePlatforms, platform: Platform) -> list[int]:
    return [r.status for r in fake.requests_for(platform.kind)]


# ------------------------------------------------------------------------------ reading
def test_fetches_a_page(platform, fake_platforms, connector_for):
    ids = platform.add(fake_platforms, 3)

    pages = list(connector_for().list_items(None))

    assert len(fake_platforms.requests_for(platform.kind)) == 1
    [page, last] = pages
    assert _ids(page.items) == sorted(ids)
    assert page.next_cursor is None  # only the closing page carries the cursor
    assert last.items == [] and last.next_cursor
    assert all(i.published_at.utcoffset() is not None for i in page.items)
    assert collect(connector_for()).items == page.items  # the same answer: equal items


def test_follows_pages_and_resumes_from_the_cursor(platform, fake_platforms, connector_for):
    ids = platform.add(fake_platforms, 7)

    first = collect(connector_for(platform.pages_of_three))

    assert _ids(first.items) == sorted(ids)
    assert first.pages == 4  # 3 + 3 + 1, then the closing page with the cursor
    assert len(fake_platforms.requests_for(platform.kind)) == 3

    # given two new items since
    fake_platforms.reset_requests()
    new = platform.add(fake_platforms, 2)
    # when
    second = collect(connector_for(platform.pages_of_three), first.next_cursor)
    # then only they are listed; newest first, paging stopped past the cursor's items
    assert _ids(second.items) == sorted(new)
    assert len(fake_platforms.requests_for(platform.kind)) == 2
    assert collect(connector_for(), second.next_cursor).items == []


def test_unreadable_cursor_means_a_full_sync(platform, fake_platforms, connector_for, caplog):
    ids = platform.add(fake_platforms, 3)
    other = "google" if platform.kind != "google" else "yelp"
    for cursor in ("not a cursor", f'{{"k":"{other}","v":1}}'):
        assert _ids(collect(connector_for(), cursor).items) == sorted(ids)
    assert "ignoring unreadable cursor" in caplog.text


# ------------------------------------------------------------------------ rate limits
def test_429_with_retry_after_waits_as_told_then_goes_on(
    platform, fake_platforms, connector_for, sleeps
):
    ids = platform.add(fake_platforms, 3)
    fake_platforms.throttle(1, retry_after=7, platform=platform.kind)

    started = time.monotonic()
    result = collect(connector_for(max_retry_after=10))

    assert _ids(result.items) == sorted(ids)
    assert sleeps == [7.0]
    assert _statuses(fake_platforms, platform) == [platform.throttle_status, 200]
    assert time.monotonic() - started < 7.0  # asked for, never slept


def test_retry_after_beyond_the_cap_raises_rate_limited(
    platform, fake_platforms, connector_for, sleeps
):
    platform.add(fake_platforms, 3)
    fake_platforms.throttle(1, retry_after=120, platform=platform.kind)

    with pytest.raises(RateLimited) as caught:
        collect(connector_for(max_retry_after=10))

    assert caught.value.retry_after_seconds == 120
    assert caught.value.retry_after_hinted
    assert caught.value.platform == platform.kind
    assert caught.value.message.startswith(platform.throttle_message)
    assert sleeps == []  # left to the scheduler, not waited for in-process
    assert len(fake_platforms.requests_for(platform.kind)) == 1


def test_rate_limit_naming_no_wait_is_left_to_the_scheduler(
    platform, fake_platforms, connector_for, sleeps
):
    fake_platforms.throttle(
        1, retry_after=None, platform=platform.kind, **platform.unhinted_throttle
    )

    with pytest.raises(RateLimited) as caught:
        collect(connector_for())

    assert not caught.value.retry_after_hinted
    assert caught.value.retry_after_seconds == DEFAULT_RATE_LIMIT_WAIT
    assert sleeps == []
    assert len(fake_platforms.requests_for(platform.kind)) == 1


def test_throttled_past_max_retries_raises_rate_limited(
    platform, fake_platforms, connector_for, sleeps
):
    fake_platforms.throttle(10, retry_after=1, platform=platform.kind)

    with pytest.raises(RateLimited):
        collect(connector_for(max_retries=2))

    assert sleeps == [1.0, 1.0]
    assert _statuses(fake_platforms, platform) == [platform.throttle_status] * 3


# ---------------------------------------------------------------------- credentials
def test_expired_token_raises_auth_expired_with_the_platforms_message(
    platform, fake_platforms, connector_for, sleeps
):
    fake_platforms.expire_token(platform.kind)

    with pytest.raises(AuthExpired) as caught:
        collect(connector_for())

    assert caught.value.message.startswith(platform.expired_message)
    assert caught.value.platform_code == platform.expired_code
    assert sleeps == []
    assert len(fake_platforms.requests_for(platform.kind)) == 1  # never retried


def test_expired_token_marks_the_source_unhealthy_with_the_reason(
    platform, fake_platforms, sleeps, settings, clinic_a, caplog
):
    settings.CONNECTOR_BASE_URLS = dict.fromkeys(SUPPORTED_KINDS, fake_platforms.base_url)
    settings.CONNECTOR_HTTP_OPTIONS = {**FAST_HTTP, "sleep": sleeps.append}
    credentials = fake_platforms.credentials(platform.kind)
    with schema_context(clinic_a.schema_name):
        source = source_create(
            kind=platform.kind,
            name="Contract",
            settings={**fake_platforms.settings(platform.kind), **platform.settings},
            credentials=credentials,
        )
        fake_platforms.expire_token(platform.kind)

        counts = source_poll(source_id=source.pk)

        source.refresh_from_db()
    assert counts["error"] == "auth_expired"
    assert not source.is_healthy
    assert source.last_error.startswith(
        f"Credentials expired or were revoked: {platform.expired_message}"
    )
    assert source.last_error.endswith("Reconnect the source.")
    assert ".. Reconnect" not in source.last_error  # one full stop after the platform's words
    [secret] = credentials.values()
    assert secret not in source.last_error and secret not in caplog.text


# --------------------------------------------------------------- server errors, garbage
def test_5xx_is_retried_with_growing_backoff(platform, fake_platforms, connector_for, sleeps):
    ids = platform.add(fake_platforms, 2)
    fake_platforms.fail(2, status=503, platform=platform.kind)

    result = collect(connector_for(backoff_base=1.0, backoff_max=20.0))

    assert _ids(result.items) == sorted(ids)
    assert _statuses(fake_platforms, platform) == [503, 503, 200]
    first, second = sleeps  # half the delay plus jitter up to the other half, doubling
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0


def test_5xx_past_max_retries_raises_transient_error(
    platform, fake_platforms, connector_for, sleeps
):
    fake_platforms.fail(10, status=503, platform=platform.kind, message="Backend unavailable.")

    with pytest.raises(TransientError) as caught:
        collect(connector_for(max_retries=2))

    assert caught.value.message == "Backend unavailable."
    assert caught.value.status == 503
    assert len(sleeps) == 2
    assert _statuses(fake_platforms, platform) == [503, 503, 503]


def test_malformed_json_is_retried(platform, fake_platforms, connector_for, sleeps):
    ids = platform.add(fake_platforms, 2)
    fake_platforms.garble(1, platform=platform.kind)

    assert _ids(collect(connector_for()).items) == sorted(ids)
    assert len(sleeps) == 1
    assert _statuses(fake_platforms, platform) == [200, 200]


def test_malformed_json_raises_a_clear_error(platform, fake_platforms, connector_for):
    fake_platforms.garble(10, platform=platform.kind)

    with pytest.raises(TransientError) as caught:
        collect(connector_for(max_retries=1))

    assert caught.value.message == f"{platform.kind} answered 200 with a body that is not JSON"
    assert caught.value.platform == platform.kind and caught.value.status == 200
    assert len(fake_platforms.requests_for(platform.kind)) == 2
