"""Walk 17 #1: pages named one abbreviation under the breadcrumbs ("Times are Riverside's local
time (EST)") for every time, even those of the other half of the year: reviews at 05:30Z and
06:30Z on 2026-11-01 both read "2026-11-01 01:30" in New York (EDT, then EST), and Sydney's
01:30 AEST and 03:30 AEDT of 2026-10-04 read alike under "(AEDT)". The `date` filter every page
uses (`core.templatetags.local_time`, a builtin) now names the zone of a time whose offset is
not the page's now, and a format's `T` in the hour a clock goes back (Django wrote "")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Clinic
from feeds.models import Review, Source

NEW_YORK, SYDNEY = ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")
EDT_0130 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, before the clock goes back
EST_0130 = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, the same reading an hour later
DECEMBER = datetime(2026, 12, 6, 15, tzinfo=UTC)  # "now": New York in EST, Sydney in AEDT


def _render(source: str, zone, **context) -> str:
    with timezone.override(zone):
        return Template(source).render(Context(context))


@pytest.fixture
def december(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: DECEMBER)


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        (NEW_YORK, EDT_0130, "2026-11-01 01:30 EDT"),
        (NEW_YORK, EST_0130, "2026-11-01 01:30"),  # the page's own abbreviation: said above
        (SYDNEY, datetime(2026, 10, 3, 15, 30, tzinfo=UTC), "2026-10-04 01:30 AEST"),
        (SYDNEY, datetime(2026, 10, 3, 16, 30, tzinfo=UTC), "2026-10-04 03:30"),
        (UTC, EDT_0130, "2026-11-01 05:30"),
    ],
    ids=["ny-edt", "ny-est", "sydney-aest", "sydney-aedt", "utc"],
)
def test_a_time_of_another_offset_names_its_zone(december, zone, at, expected):
    assert _render('{{ at|date:"Y-m-d H:i" }}', zone, at=at) == expected


def test_the_hour_the_clock_goes_back_reads_as_two_times(december):
    both = '{{ a|date:"Y-m-d H:i" }} / {{ b|date:"Y-m-d H:i T" }} / {{ a|date:"j M, H:i T" }}'
    assert _render(both, NEW_YORK, a=EDT_0130, b=EST_0130) == (
        "2026-11-01 01:30 EDT / 2026-11-01 01:30 EST / 1 Nov, 01:30 EDT"
    )


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("Y-m-d", "2026-11-01"), ("c", "2026-11-01T01:30:00-04:00"), (r"H:i \T", "01:30 T EDT")],
    ids=["a-day", "iso", "escaped-T"],
)
def test_a_day_or_a_zoned_format_is_left_alone(december, fmt, expected):
    assert _render("{{ at|date:fmt }}", NEW_YORK, at=EDT_0130, fmt=fmt) == expected


def test_the_line_under_the_breadcrumbs_names_the_zone_in_the_hour_the_clock_goes_back(
    monkeypatch,
):
    monkeypatch.setattr(timezone, "now", lambda: EST_0130)
    assert _render("{% zone_now %}", NEW_YORK) == "EST"


@pytest.fixture
def fall_back_reviews(clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="csv", name="CSV")
        return [
            Review.objects.create(source=source, external_id=f"fall-{i}", published_at=at).pk
            for i, at in enumerate([EDT_0130, EST_0130])
        ]


def test_the_inbox_list_and_review_page_tell_the_two_0130s_apart(
    december, fall_back_reviews, login
):
    client = login("alpha_writer")
    listed = client.get("/clinics/clinic-a/inbox/").content.decode()
    assert "Times are Clinic A’s local time (EST)." in listed
    assert "<td>2026-11-01 01:30 EDT</td>" in listed
    assert "<td>2026-11-01 01:30</td>" in listed

    edt, est = (
        client.get(f"/clinics/clinic-a/inbox/{pk}/").content.decode() for pk in fall_back_reviews
    )
    assert " · 2026-11-01 01:30 EDT" in edt
    assert " · 2026-11-01 01:30 · " in est
