"""A surge that builds up for hours: the hours before its window are never its own baseline,
and the negatives that built up to it are linked to its incident, which says since when.

The tester's case: a clinic in Sydney with no negatives in its history; twenty 1-star reviews
from 21:00 to 01:16 local, first seen by the detectors at 01:17. Incident #1 said "12 negative
… against a baseline of 0.0 ± 0.2 (last 28 days, 7 negatives)": tonight's first seven were its
"usual", and only the twelve in the window were linked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crisis.detectors import SURGE, History, Item, Thresholds, evaluate
from crisis.models import EventKind, Incident, IncidentMention
from crisis.room import trigger_words
from crisis.services import detectors_run
from tests.crisis.conftest import calm_baseline

SYDNEY = ZoneInfo("Australia/Sydney")
# Sunday 6 December 2026, 21:00 in Sydney (AEDT, UTC+11): 10:00 UTC
FIRST = datetime(2026, 12, 6, 21, 0, tzinfo=SYDNEY).astimezone(UTC)
GAP = timedelta(minutes=13, seconds=30)  # twenty of them by 01:16:30
NOW = datetime(2026, 12, 7, 1, 17, tzinfo=SYDNEY).astimezone(UTC)
BUILD_UP = [FIRST + n * GAP for n in range(20)]


def _calm_items(end: datetime, *, days: int = 35, negative_every: int = 0) -> list[Item]:
    """A calm clinic: a review every three hours, none negative (or every `negative_every`th)."""
    items, at, n = [], end - timedelta(days=days), 0
    while at < end:
        n += 1
        items.append(_item(n, at, negative=bool(negative_every) and n % negative_every == 0))
        at += timedelta(hours=3)
    return items


def _item(n: int, at: datetime, *, negative: bool) -> Item:
    return Item(
        id=n,
        kind="review",
        source="google",
        published_at=at,
        rating=1 if negative else 5,
        label="negative" if negative else "positive",
        engagement=0,
        updated_at=at,
    )


def _surge(items: list[Item], now: datetime = NOW):
    history = History(items=items, tz=SYDNEY)
    return next((f for f in evaluate(history, now, Thresholds()) if f.kind == SURGE), None)


def test_the_build_up_is_not_the_surges_baseline_and_is_part_of_it():
    # given a calm month with no negatives, then twenty 1-star reviews from 21:00 local
    calm = _calm_items(FIRST)
    build = [_item(1000 + n, at, negative=True) for n, at in enumerate(BUILD_UP)]

    # when the detectors first look at 01:17
    finding = _surge(calm + build)

    # then the usual is the calm month's, not tonight's first hours
    assert finding.fired
    numbers = finding.numbers
    assert numbers["baseline_negatives"] == 0
    assert numbers["baseline_mean"] == 0.0
    # and the nine in the window and the eleven before it are the surge's, oldest first
    assert numbers["count"] == 9
    assert numbers["build_up"] == 11
    assert numbers["since"] == FIRST.isoformat()
    assert finding.review_ids == [1000 + n for n in range(20)]
    assert finding.title == "Negative surge: 9 in 2 h, 20 since 21:00"
    assert finding.explanation.endswith(
        " It built up since 21:00: 11 more in the 2.3 h before that window, 20 in all."
    )
    assert "(28 days ending a day before the window, 0 negatives)" in finding.explanation
    # and the clinic's people read since when too
    words = trigger_words(SURGE, numbers, at=NOW, tz=SYDNEY)
    assert words.startswith("9 negative mentions in 2 hours — usually none ")
    assert words.endswith(" — usually none for the early hours of a Monday; 20 since 21:00.")


def test_a_sudden_surge_links_no_earlier_negatives_of_a_calm_clinic():
    # given a clinic whose usual negative came four hours before a sudden burst
    calm = _calm_items(NOW - timedelta(hours=2))
    lone = _item(999, NOW - timedelta(hours=4), negative=True)
    burst = [_item(1000 + n, NOW - timedelta(minutes=60 - 10 * n), negative=True) for n in range(6)]

    finding = _surge(calm + [lone] + burst)

    # then the burst alone is the surge: a whole window with no negative ended any build-up
    assert finding.fired
    assert finding.review_ids == [1000 + n for n in range(6)]
    assert "build_up" not in finding.numbers and "since" not in finding.explanation


def test_a_slow_trickle_of_negatives_fires_nothing():
    # given a calm clinic where one review in eight is negative, all month and tonight too
    items = _calm_items(NOW, negative_every=8)

    # when the detectors look at any hour of the last day, no surge fires
    for hours in range(24):
        finding = _surge(items, NOW - timedelta(hours=hours))
        assert finding is None or not finding.fired


def test_one_incident_links_the_whole_build_up_and_starts_at_its_first(stream, clinic_a):
    # given a clinic with a calm month and no negatives, then twenty 1-star reviews over four
    # hours across its local midnight, that the detectors first see at 01:17 Sydney time
    calm_baseline(stream, end=FIRST, per_day=10, negative_share=0.0)
    reviews = [stream.item(at, label="negative", rating=1) for at in BUILD_UP]
    reviews = stream.flush()[-20:]

    # when the detectors run
    [incident] = detectors_run(now=NOW, notify=False)

    # then one incident holds all twenty, and its onset is the first of them
    linked = IncidentMention.objects.filter(incident=incident)
    assert sorted(linked.values_list("review_id", flat=True)) == sorted(r.pk for r in reviews)
    numbers = incident.trigger["numbers"]
    assert (numbers["count"], numbers["build_up"]) == (9, 11)
    assert numbers["since"] == FIRST.isoformat()
    assert numbers["baseline_negatives"] == 0
    at = f"{FIRST.astimezone(ZoneInfo(clinic_a.timezone)):%H:%M}"
    assert incident.title == f"Negative surge: 9 in 2 h, 20 since {at}"
    opened = incident.events.get(kind=EventKind.OPENED)
    assert f"It built up since {at}: 11 more" in opened.message
    assert opened.message.endswith("20 mentions linked.")
    assert Incident.objects.count() == 1


def test_an_open_incident_takes_in_what_built_up_between_two_runs(stream):
    # given the incident opened at 01:17 on the twenty
    calm_baseline(stream, end=FIRST, per_day=10, negative_share=0.0)
    for at in BUILD_UP:
        stream.item(at, label="negative", rating=1)
    stream.flush()
    [incident] = detectors_run(now=NOW, notify=False)
    # and the surge goes on, one every ten minutes, while the detectors do not run for 4 h
    later = [NOW + timedelta(minutes=5 + 10 * n) for n in range(24)]
    for at in later:
        stream.item(at, label="negative", rating=1)
    more = stream.flush()

    # when they run again
    assert detectors_run(now=later[-1] + timedelta(minutes=1), notify=False) == []

    # then every one of them joined the incident, not only the last two hours'
    linked = set(
        IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True)
    )
    assert {r.pk for r in more} <= linked
    assert len(linked) == 44
    assert Incident.objects.count() == 1
