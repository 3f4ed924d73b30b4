"""Yelp Fusion connector (read-only) against the fake platform server (real HTTP)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.connectors import (
    YELP_READ_ONLY,
    NotFound,
    NotSupported,
    collect,
)
from tests.feeds import fake_platforms as fp

PATH = f"/v3/businesses/{fp.YELP_BUSINESS}/reviews"


def test_lists_reviews_across_offset_pages(fake_platforms, connect):
    ids = fake_platforms.add_yelp_reviews(45)
    result = collect(connect("yelp"))

    assert sorted(i.external_id for i in result.items) == sorted(ids)
    gets = fake_platforms.requests_for("yelp")
    assert [r.path for r in gets] == [PATH] * 3
    assert [r.params for r in gets] == [
        {"limit": "20", "offset": str(offset), "sort_by": "newest"} for offset in (0, 20, 40)
    ]
    assert gets[0].headers["authorization"] == f"Bearer {fp.YELP_KEY}"


def test_maps_the_review_json_with_pacific_time(fake_platforms, connect):
    [review_id] = fake_platforms.add_yelp_reviews(1, rating=1, text="Never again.")
    raw = fake_platforms.yelp_reviews[review_id]
    [item] = collect(connect("yelp", settings={"locale": "en_US"})).items

    assert (item.kind, item.rating, item.text) == ("review", 1, "Never again.")
    assert item.url == raw["url"] and item.author_name == raw["user"]["name"]
    assert item.language == "en"
    local = datetime.strptime(raw["time_created"], "%Y-%m-%d %H:%M:%S")
    assert item.published_at == local.replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    assert item.published_at.astimezone(UTC) == fake_platforms.clock
    assert fake_platforms.requests[0].params["locale"] == "en_US"


def test_only_the_excerpts_yelp_shows_are_listed(fake_platforms, connect):
    fake_platforms.yelp_max_reviews = 3  # Yelp's standard plans
    fake_platforms.add_yelp_reviews(10)
    result = collect(connect("yelp"))
    assert len(result.items) == 3
    assert len(fake_platforms.requests) == 1  # a short page ends the listing


def test_second_sync_lists_only_new_reviews(fake_platforms, connect):
    fake_platforms.add_yelp_reviews(30)
    first = collect(connect("yelp"))
    fake_platforms.reset_requests()
    new = fake_platforms.add_yelp_reviews(2)

    second = collect(connect("yelp"), first.next_cursor)

    assert sorted(i.external_id for i in second.items) == sorted(new)
    assert len(fake_platforms.requests) == 1
    assert collect(connect("yelp"), second.next_cursor).items == []


def test_per_second_limit_without_retry_after_waits_a_second(fake_platforms, connect, sleeps):
    fake_platforms.add_yelp_reviews(2)
    fake_platforms.throttle(1, retry_after=None, platform="yelp")
    assert len(collect(connect("yelp")).items) == 2
    assert sleeps == [1.0]
    assert [r.status for r in fake_platforms.requests] == [429, 200]


def test_unknown_business_raises_not_found(fake_platforms, connect):
    with pytest.raises(NotFound, match="The requested business could not be found."):
        collect(connect("yelp", settings={"business_id": "no-such-clinic"}))


def test_every_write_is_not_supported_with_the_plain_message(fake_platforms, connect):
    connector = connect("yelp")
    assert connector.capabilities.read_only_reason == YELP_READ_ONLY
    assert not any(
        (connector.capabilities.can_reply, connector.capabilities.can_hide,
         connector.capabilities.can_pin, connector.capabilities.can_private_reply)
    )  # fmt: skip
    for call in (
        lambda: connector.post_reply("r1", "Thanks", idempotency_key="k"),
        lambda: connector.private_reply("r1", "Thanks", idempotency_key="k"),
        lambda: connector.hide("r1"),
        lambda: connector.pin("r1"),
        lambda: connector.delete_reply("r1"),
    ):
        with pytest.raises(NotSupported) as caught:
            call()
        assert str(caught.value) == (
            "Yelp Fusion is read-only: replies must be posted by hand in Yelp for Business"
        )
    assert fake_platforms.requests == []


def test_the_api_key_never_reaches_logs_or_errors(fake_platforms, connect, caplog):
    caplog.set_level(logging.DEBUG, logger="feeds.connectors")
    fake_platforms.add_yelp_reviews(1)
    fake_platforms.fail(1, status=500, platform="yelp")
    collect(connect("yelp"))
    fake_platforms.fail(
        1, status=400, platform="yelp", code="VALIDATION_ERROR",
        message=f"Authorization: Bearer {fp.YELP_KEY} is not accepted here",
    )  # fmt: skip
    with pytest.raises(Exception) as caught:
        collect(connect("yelp"))
    texts = [r.getMessage() for r in caplog.records]
    texts += [str(caught.value), repr(caught.value)]
    assert "[REDACTED]" in caught.value.message
    assert caplog.records
    assert not any(fp.YELP_KEY in t for t in texts)
