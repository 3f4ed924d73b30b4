"""What all connectors share: the factory, times, cursors, redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.connectors import ConfigurationError, ExternalItem, make_connector, redact
from feeds.connectors.base import (
    Watermark,
    WatermarkBuilder,
    decode_cursor,
    encode_cursor,
    parse_time,
)
from feeds.connectors.http import parse_retry_after


def test_factory_knows_the_platform_kinds_and_checks_settings():
    with pytest.raises(ValueError, match="No connector for source kind 'csv'"):
        make_connector("csv", {}, {})
    with pytest.raises(ConfigurationError, match="the location id is missing"):
        make_connector("google", {"account_id": "1"}, {"access_token": "t"})
    with pytest.raises(ConfigurationError, match="the page token is missing"):
        make_connector("facebook", {"page_id": "1"}, {})
    with pytest.raises(ConfigurationError, match="the API key is missing"):
        make_connector("yelp", {"business_id": "b"}, {})
    google = make_connector(
        "google", {"account_id": "accounts/1", "location_id": "locations/2"}, {"access_token": "t"}
    )
    assert google.location_path == "v4/accounts/1/locations/2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00.123456789Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-01T10:00:00+0000", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_items_must_be_well_formed():
    now = datetime.now(UTC)
    base = {"external_id": "1", "kind": "review", "author_name": "", "text": "", "language": None,
            "url": "", "published_at": now}  # fmt: skip
    with pytest.raises(ValueError, match="rating"):
        ExternalItem(**base, rating=6)
    with pytest.raises(ValueError, match="kind"):
        ExternalItem(**{**base, "kind": "tweet"}, rating=None)
    with pytest.raises(ValueError, match="timezone"):
        ExternalItem(**{**base, "published_at": now.replace(tzinfo=None)}, rating=None)


def test_watermark_round_trips_and_stays_short():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    builder = WatermarkBuilder(Watermark())
    for n in range(5):
        builder.observe(start, f"id-{n}")
    builder.observe(start - timedelta(days=1), "older")
    mark = Watermark.from_json(builder.build().to_json())
    assert mark.at == start and not mark.admits(start, "id-3") and mark.admits(start, "id-9")
    assert mark.is_behind(start - timedelta(seconds=1))
    # too many at one instant: those are listed again rather than risk losing one
    for n in range(50):
        builder.observe(start, f"many-{n}")
    crowded = builder.build()
    assert crowded.seen is None and crowded.admits(start, "id-1")
    cursor = encode_cursor("facebook", r=builder.build().to_json(), p=mark.to_json())
    assert len(cursor) < 500
    assert decode_cursor("facebook", cursor)["p"] == mark.to_json()
    assert decode_cursor("google", cursor) == {}  # another platform's cursor: full sync


def test_redact():
    text = (
        "GET /x?fields=a&access_token=EAAB123secret&limit=5 Authorization: Bearer ya29.abc-DEF "
        '{"client_secret": "s3cr3t"} OAuth access token invalid'
    )
    out = redact(text, ["limit-not-a-secret-xx"])
    assert "EAAB123secret" not in out and "ya29.abc-DEF" not in out and "s3cr3t" not in out
    assert "fields=a" in out and "limit=5" in out
    assert "OAuth access token invalid" in out


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 00:00:30 GMT", now=now) == 30.0
