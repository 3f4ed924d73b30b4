"""Walk 17 #6: a surge at 01:22 on a Monday was "the usual for a Monday night", which reads
as the evening after it. The small hours (before 05:00) are now "the early hours of a
Monday"; the other parts of the day read as before."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crisis.room import trigger_words

SURGE = {"count": 9, "window_minutes": 120, "ratio": 40.0}
SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.mark.parametrize(
    ("local", "part"),
    [
        ((2026, 12, 7, 1, 22), "the early hours of a Monday"),
        ((2026, 12, 7, 0, 0), "the early hours of a Monday"),
        ((2026, 12, 7, 4, 59), "the early hours of a Monday"),
        ((2026, 12, 7, 5, 0), "a Monday morning"),
        ((2026, 12, 7, 13, 0), "a Monday afternoon"),
        ((2026, 12, 7, 18, 0), "a Monday evening"),
        ((2026, 12, 7, 23, 30), "a Monday night"),
    ],
    ids=["01:22", "midnight", "04:59", "05:00", "afternoon", "evening", "23:30"],
)
def test_the_part_of_the_day_in_the_clinics_time(local, part):
    at = datetime(*local, tzinfo=SYDNEY).astimezone(UTC)

    words = trigger_words("surge", SURGE, at=at, tz=SYDNEY)

    assert words == f"9 negative mentions in 2 hours — usually none for {part}."
