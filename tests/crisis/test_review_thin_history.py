"""A clinic whose history starts inside the week before its crisis (new to Carewatch, no past
reviews imported): the review's "before" is the days it had, not a week (walk 21: a clinic with
two days of history read a third of its usual rate, and its crisis three times larger than it
was); one whose first items are the crisis has nothing to compare with. `crisis.metrics`."""

from __future__ import annotations

from crisis.export import review_figures
from crisis.metrics import review_metrics
from crisis.models import Incident, IncidentMention
from tests.crisis.conftest import HOUR, MIN, NOW, resolved_anyway

DAY = 24 * HOUR


def _crisis(stream, capture) -> Incident:
    """12 negative mentions from NOW to NOW + 55 min, resolved at NOW + 60 min."""
    linked = [stream.add(NOW + n * 5 * MIN, label="negative", kind="mention") for n in range(12)]
    incident = Incident.objects.create(
        kind="surge", title="Negative surge: 12 in an hour", severity="high",
        trigger={"numbers": {"window_minutes": 60}}, opened_at=NOW + 30 * MIN,
        last_detected_at=NOW + 30 * MIN,
    )  # fmt: skip
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=NOW) for r in linked]
    )
    return resolved_anyway(incident, capture, at=NOW + 60 * MIN)


def _figures(m) -> dict[str, str]:
    return {label: value for _, label, value in review_figures(m, None)}


def test_two_days_of_history_make_a_two_day_before_and_its_rate(
    stream, in_utc, django_capture_on_commit_callbacks
):
    # given a clinic whose first item came two days before the crisis: 6 reviews since
    for n in range(6):
        stream.add(NOW - 2 * DAY + n * 8 * HOUR, label="positive", rating=5)
    incident = _crisis(stream, django_capture_on_commit_callbacks)

    m = review_metrics(incident, now=NOW + 3 * DAY)

    before = m["windows"]["before"]
    assert before["start"] == (NOW - 2 * DAY).isoformat()
    assert before["history_from"] == (NOW - 2 * DAY).isoformat()
    assert (before["volume"], before["days"], before["per_day"]) == (6, 2.0, 3.0)
    assert m["before_seconds"] == 2 * 86400
    assert before["buckets"] == 2  # two whole days: a bar a day
    figures = _figures(m)
    assert figures["Sentiment before"].endswith(
        "; the clinic's history starts on 2026-03-02 15:00 UTC, so its usual is from the days since"
    ), figures["Sentiment before"]
    # the crisis compared with 3 a day (over a week it would have read about 0.9 a day)
    assert "usually 3 a day" in figures["Sentiment during"]


def test_a_clinic_whose_first_items_are_the_crisis_has_no_usual_to_compare_with(
    stream, in_utc, django_capture_on_commit_callbacks
):
    incident = _crisis(stream, django_capture_on_commit_callbacks)

    m = review_metrics(incident, now=NOW + 3 * DAY)

    before = m["windows"]["before"]
    assert before["volume"] == 0 and before["per_day"] is None
    assert before["history_from"] == NOW.isoformat()
    figures = _figures(m)
    assert figures["Sentiment before"] == (
        "no items in 7 days; the clinic's history starts with the crisis (2026-03-04 15:00 "
        "UTC): nothing before it to compare with"
    ), figures["Sentiment before"]
    assert "usually" not in figures["Sentiment during"]


def test_a_history_that_starts_within_a_day_of_the_week_before_keeps_the_week(
    stream, in_utc, django_capture_on_commit_callbacks
):
    # a quiet clinic's first item, 20 hours into the week: its week stands
    stream.add(NOW - 7 * DAY + 20 * HOUR, label="positive", rating=5)
    incident = _crisis(stream, django_capture_on_commit_callbacks)

    m = review_metrics(incident, now=NOW + 3 * DAY)

    assert m["before_seconds"] == 7 * 86400
    assert "history_from" not in m["windows"]["before"]
    assert "history starts" not in _figures(m)["Sentiment before"]
