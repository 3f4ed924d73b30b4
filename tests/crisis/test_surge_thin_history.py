"""A clinic new to Carewatch: a surge on its first days is told with how little history its
"usual" comes from, to the agency (the detector's explanation) and to the clinic (the alert's
words), rather than "usually none for a Sunday evening" as if a month had been watched.

The walk-through's case: Harbourside Physiotherapy, created that afternoon with four items,
got seven 1-star reviews in two hours: "7 negative mentions in 2 hours — usually none for a
Sunday evening"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.detectors import SURGE, History, Item, Thresholds, evaluate
from crisis.room import trigger_words
from crisis.selectors import history_load
from tests.responses.conftest import review_in

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 6, 20, 40, tzinfo=UTC)  # a Sunday evening


def _item(n: int, at: datetime, *, negative: bool) -> Item:
    return Item(
        id=n,
        kind="review",
        source="webhook",
        published_at=at,
        rating=1 if negative else 5,
        label="negative" if negative else "positive",
        engagement=0,
        updated_at=at,
    )


def _burst() -> list[Item]:
    return [_item(100 + n, NOW - timedelta(minutes=5 * n + 1), negative=True) for n in range(7)]


def _surge(items: list[Item], first_item_at: datetime | None):
    history = History(items=items, tz=LONDON, first_item_at=first_item_at)
    return next(f for f in evaluate(history, NOW, Thresholds()) if f.kind == SURGE)


@pytest.mark.parametrize(
    ("first_days_ago", "learnt", "words"),
    [
        (0.2, 0, ", with no earlier history to compare with."),
        (2.5, 1, ", from only 1 day of its history."),
        (20, 18, ", from only 18 days of its history."),
    ],
    ids=["created-today", "two-days", "twenty-days"],
)
def test_a_surge_on_a_thin_history_says_how_thin(first_days_ago, learnt, words):
    # the baseline ends a day before the 2-hour window: its days are those after the first item
    first = NOW - timedelta(days=first_days_ago)
    items = [_item(1, first, negative=False), *_burst()]

    finding = _surge(items, first)

    assert finding.fired
    assert finding.numbers["history_days"] == learnt
    assert f"The clinic's history covers only {learnt} of those 28 days" in finding.explanation
    said = trigger_words("surge", finding.numbers, at=NOW, tz=LONDON)
    assert said.startswith("7 negative mentions in 2 hours — ")
    assert said.endswith(words), said


@pytest.mark.parametrize(
    "first_item_at", [NOW - timedelta(days=60), None], ids=["month", "unknown"]
)
def test_a_clinic_with_a_month_of_history_is_told_as_before(first_item_at):
    calm = [_item(n, NOW - timedelta(days=40) + n * timedelta(hours=3), negative=False)
            for n in range(1, 300)]  # fmt: skip
    finding = _surge([*calm, *_burst()], first_item_at)

    assert "history_days" not in finding.numbers
    assert "history covers only" not in finding.explanation
    assert "of its history" not in trigger_words("surge", finding.numbers, at=NOW, tz=LONDON)


def test_the_history_read_for_the_detectors_knows_the_clinics_first_item(clinic_a, db):
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        review_in(clinic_a, "csv", text="Old one.", published_at=now - timedelta(days=90))
        review_in(clinic_a, "csv", text="New one.", published_at=now - timedelta(hours=1))

        history = history_load(
            start=now - timedelta(days=2), end=now, text_since=now - timedelta(days=1), tz=LONDON
        )

    assert history.first_item_at == now - timedelta(days=90)


def _baseline_said(client) -> str:
    page = client.get("/clinics/clinic-a/settings/thresholds/")
    assert page.status_code == 200
    return page.context["baseline"]


def test_the_thresholds_page_says_what_the_usual_level_is_learnt_from(login, clinic_a):
    client = login("alpha_manager")
    # given: a clinic with nothing yet
    assert _baseline_said(client).startswith(
        "Nothing has arrived for this clinic yet: the detectors have no usual level"
    )
    # when its first review is 4 days old
    review_in(
        clinic_a, "csv", text="First.", published_at=timezone.now() - timedelta(days=4, hours=1)
    )
    said = _baseline_said(client)
    assert said.startswith("This clinic's history starts on ") and "(4 days)" in said, said
    assert "until 28 are in" in said
    # and once past reviews cover the baseline
    review_in(clinic_a, "csv", text="Old.", published_at=timezone.now() - timedelta(days=90))
    assert _baseline_said(client).startswith("The usual level is learnt from the clinic's last 28")
