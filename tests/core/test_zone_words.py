"""A time zone as a clinic's people say it (walk 14: the review, its PDF and the public
statement page said "times in America/New_York")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.days import zone_words


@pytest.mark.parametrize(
    ("zone", "at", "said"),
    [
        ("America/New_York", datetime(2026, 12, 7, 12, tzinfo=UTC), "New York time (EST)"),
        ("America/New_York", datetime(2026, 7, 7, 12, tzinfo=UTC), "New York time (EDT)"),
        ("Europe/London", datetime(2026, 7, 7, 12, tzinfo=UTC), "London time (BST)"),
        ("America/Sao_Paulo", datetime(2026, 7, 7, 12, tzinfo=UTC), "Sao Paulo time (UTC-03:00)"),
        ("UTC", datetime(2026, 7, 7, 12, tzinfo=UTC), "UTC"),
    ],
)
def test_a_zone_is_its_city_and_abbreviation(zone, at, said):
    assert zone_words(ZoneInfo(zone), at) == said
