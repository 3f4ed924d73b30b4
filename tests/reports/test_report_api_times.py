"""Walk 17 #5: the report API gave `start` in the clinic's offset (`…+11:00`) and, for the month
in progress, `end` in UTC (`…+00:00`); README says the API gives times in UTC. Every bound of
the report API (`start`, `end`, `previous.start`, `previous.end`) is now in UTC: the clinic's
midnights, as instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

NOW = datetime(2026, 12, 6, 12, 34, 56, tzinfo=UTC)  # 23:34 AEDT in Sydney
URL = "/clinics/clinic-a/api/v1/reports/monthly/"


@pytest.fixture
def sydney(clinic_a, monkeypatch):
    before = clinic_a.timezone
    clinic_a.timezone = "Australia/Sydney"
    clinic_a.save(update_fields=["timezone"])  # the routing cache hears of it
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    yield clinic_a
    clinic_a.timezone = before
    clinic_a.save(update_fields=["timezone"])


def _bounds(body: dict) -> tuple:
    previous = body["previous"]
    return body["start"], body["end"], previous["start"], previous["end"]


def test_a_complete_months_bounds_are_the_clinics_midnights_in_utc(sydney, api):
    body = api("key_a").get(URL, {"month": "2026-11"}).json()

    assert _bounds(body) == (
        "2026-10-31T13:00:00+00:00",  # 1 November, 00:00 AEDT
        "2026-11-30T13:00:00+00:00",  # 1 December, 00:00 AEDT
        "2026-09-30T14:00:00+00:00",  # 1 October, 00:00 AEST
        "2026-10-31T13:00:00+00:00",
    )


def test_the_month_in_progress_ends_now_in_utc_like_its_start(sydney, api):
    body = api("key_a").get(URL, {"month": "2026-12"}).json()

    assert body["in_progress"] is True
    assert body["start"] == "2026-11-30T13:00:00+00:00"
    assert body["end"] == "2026-12-06T12:34:00+00:00"  # now, to the minute
    assert all(bound.endswith("+00:00") for bound in _bounds(body))
