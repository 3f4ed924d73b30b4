"""The post-crisis review counted by hand: every figure equals what an auditor counts from the
clinic's items. "Before" is the clinic's usual traffic, never another incident's crisis (an
earlier wave, an overlapping incident); a mention deleted since (on its platform, or at its
author's request) leaves every figure and the incident's lists; a period still running that
holds less than an hour says its items, never a rate drawn from its first minute; a time under
half a minute is "under a minute", never "0 hours"; and what was already public when the alert
was raised is said to be before the alert, never "0 hours after" it."""

from __future__ import annotations

import re

import pytest

from core.text import duration_said
from crisis.charts import volume_chart
from crisis.export import review_figures, send_advice
from crisis.metrics import review_metrics
from crisis.models import Incident, IncidentMention, PostCrisisReview
from crisis.selectors import incident_mention_count, incident_mentions_shown, incidents_filtered
from feeds.models import Review
from responses.models import ReplyDraft
from tests.crisis.conftest import HOUR, MIN, NOW, resolved_anyway

DAY = 24 * HOUR
SECOND = MIN / 60


def _incident(mentions, *, opened_at, title="Negative surge") -> Incident:
    incident = Incident.objects.create(
        kind="surge", title=title, severity="high", trigger={"numbers": {}},
        opened_at=opened_at, last_detected_at=opened_at,
    )  # fmt: skip
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=opened_at) for r in mentions]
    )
    return incident


def _figures(metrics) -> dict[str, str]:
    return {label: value for _, label, value in review_figures(metrics, None)}


def test_before_leaves_out_the_mentions_of_another_incident(
    stream, in_utc, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given the clinic's usual week: one happy review a day
    for n in range(7):
        stream.add(NOW - (n + 1) * DAY + 2 * HOUR, label="positive", rating=5)
    # and an earlier wave two days ago, its own incident, resolved
    wave = [stream.add(NOW - 2 * DAY + n * MIN, label="negative", kind="mention") for n in range(5)]
    earlier = _incident(wave, opened_at=NOW - 2 * DAY + 10 * MIN, title="First wave")
    resolved_anyway(earlier, capture, at=NOW - 2 * DAY + HOUR)
    # when the crisis comes back and is resolved
    mine = [stream.add(NOW + n * MIN, label="negative", kind="mention") for n in range(3)]
    incident = resolved_anyway(_incident(mine, opened_at=NOW + 5 * MIN), capture, at=NOW + HOUR)
    m = review_metrics(incident, now=NOW + 3 * DAY)
    # then "before" holds the usual week alone, as counted by hand, and says what it left out
    before = m["windows"]["before"]
    assert (before["volume"], before["negative"], before["other_incidents_left_out"]) == (7, 0, 5)
    assert sum(row["volume"] for row in m["series"] if row["window"] == "before") == 7
    assert sum(row["negative"] for row in m["series"] if row["window"] == "before") == 0
    figures = _figures(m)
    assert figures["Sentiment before"] == (
        "+0.80: 7 items in 7 days (1 a day; leaving out 5 mentions of another incident), "
        "0% negative"
    )
    assert "usually 1 a day" in figures["Sentiment during"]
    # and the earlier incident's own review still counts its wave as its crisis
    assert review_metrics(earlier, now=NOW + 3 * DAY)["windows"]["during"]["negative"] == 5


def test_a_deleted_mention_leaves_the_figures_and_the_incidents_lists(
    surge, in_utc, django_capture_on_commit_callbacks
):
    # given the surge's four mentions, two answered in public, resolved
    incident, linked = surge
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)
    assert review_metrics(incident, now=NOW + 3 * DAY)["mentions_linked"] == 4
    # when its author takes the unanswered first one down
    Review.objects.filter(pk=linked[0].pk).update(is_deleted=True, deleted_at=NOW + HOUR)
    m = review_metrics(incident, now=NOW + 3 * DAY)
    # then no figure counts it: "2 of 3", one mention with no reply, as the windows count it
    assert (m["mentions_linked"], m["mentions_answered"]) == (3, 2)
    assert (m["negative_linked"], m["negative_answered"]) == (3, 2)
    assert m["replies_waiting"] == {"approved": 0, "in_approval": 0, "none": 1}
    figures = _figures(m)
    assert figures["Mentions answered in public"] == "2 of 3 (67%)"
    assert figures["Negative mentions answered in public"] == "2 of 3 (67%)"
    # and the incident lists and counts its live mentions only
    assert incident_mention_count(incident) == 3
    assert linked[0].pk not in {r.pk for r in incident_mentions_shown(incident)}
    assert incidents_filtered().get(pk=incident.pk).mention_count == 3


@pytest.fixture
def just_resolved(stream, in_utc, django_capture_on_commit_callbacks):
    """A week of one review a day, 6 negative mentions from NOW, resolved at NOW + 1 hour, and
    3 items in the minute after the resolution."""
    for n in range(7):
        stream.add(NOW - (n + 1) * DAY + 2 * HOUR, label="positive", rating=5)
    mine = [stream.add(NOW + n * 5 * MIN, label="negative", kind="mention") for n in range(6)]
    incident = _incident(mine, opened_at=NOW + 30 * MIN)
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks, at=NOW + HOUR)
    for n in range(3):
        stream.add(NOW + HOUR + (10 + 10 * n) * SECOND, label="positive", rating=5)
    return incident


def test_an_after_period_just_begun_says_its_items_and_no_rate(just_resolved):
    # when the review is read (or sent) a minute after the resolution
    m = review_metrics(just_resolved, now=NOW + HOUR + MIN)
    # then "after" holds its 3 items, with the usual rate beside them, and no "180 an hour"
    after = _figures(m)["Sentiment after"]
    assert after == "+0.80: 3 items in 1 minute so far (usually 1 a day), 0% negative"
    assert "an hour" not in after
    # and the advice beside "Send" says what sending now holds, in words
    advice = send_advice(m, PostCrisisReview.objects.get(incident=just_resolved), None)
    assert "sent now, they hold only its first minute and say so" in advice
    # and its chart panel draws the counts, not a rate drawn from one minute
    svg = volume_chart(m)
    assert "After (so far)</tspan>: items<" in svg
    assert re.search(r"<title>positive: 3</title>", svg)
    assert "an hour)</title>" not in svg.split("After (so far)")[1]
    # once it holds an hour, it has a rate again
    later = _figures(review_metrics(just_resolved, now=NOW + 2 * HOUR))["Sentiment after"]
    assert "3 items in 1 hour so far (about 3 an hour; usually 1 a day)" in later


@pytest.mark.parametrize(
    ("minutes", "said"), [(0, "under a minute"), (0.4, "under a minute"), (0.6, "1 minute")]
)
def test_a_time_under_half_a_minute_is_under_a_minute_never_0_hours(minutes, said):
    assert duration_said(minutes) == said


def test_an_acknowledgement_within_seconds_is_under_a_minute_after_the_alert(just_resolved):
    Incident.objects.filter(pk=just_resolved.pk).update(
        acknowledged_at=just_resolved.opened_at + 20 * SECOND
    )
    just_resolved.refresh_from_db()
    figures = _figures(review_metrics(just_resolved, now=NOW + 3 * DAY))
    assert figures["Time to acknowledge"] == "under a minute after the alert"


def test_a_reply_public_before_the_alert_is_said_before_it(
    stream, in_utc, django_capture_on_commit_callbacks
):
    # given a mention answered in public ten minutes before the surge it was part of alerted
    mine = [stream.add(NOW + n * 5 * MIN, label="negative", kind="mention") for n in range(6)]
    ReplyDraft.objects.create(
        review=mine[0], status="published", published_at=NOW + 20 * MIN, author_label="user:1",
        version=1,
    )  # fmt: skip
    incident = _incident(mine, opened_at=NOW + 30 * MIN)
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks, at=NOW + HOUR)
    m = review_metrics(incident, now=NOW + 3 * DAY)
    # then the figures say it was already public, never "0 hours after the alert"
    assert m["time_to_first_reply_seconds"] == 0 and m["first_reply_before_alert"] is True
    figures = _figures(m)
    said = "before the alert: it was already public when the alert was raised"
    assert figures["First public reply to a mention"] == said
    assert figures["First public response (statement or reply, whichever came first)"] == (
        f"{said}: a public reply to a mention, published 2026-03-04 15:20 UTC"
    )
