"""A complaint inside a positive review (per-topic sentiment negative, overall positive) is
not a negative for the surge detector: the detectors read the overall label only."""

from __future__ import annotations

from datetime import timedelta

from crisis.models import Incident
from crisis.services import detectors_run
from scoring.models import ReviewScore
from scoring.services import latest_scores_refresh
from tests.crisis.conftest import NOW, calm_baseline

MIN = timedelta(minutes=1)
WAIT_NEGATIVE = [{"name": "wait_time", "triggers": ["wait", "two hours"], "sentiment": "negative"}]


def _burst(stream, label: str, rating: int):
    start = NOW - timedelta(minutes=50)
    for n in range(20):
        stream.item(
            start + n * timedelta(seconds=150),
            label=label,
            rating=rating,
            text="Dr Lee is wonderful. The wait was over two hours.",
        )
    reviews = stream.flush()
    ReviewScore.objects.filter(review__in=reviews).update(topics=WAIT_NEGATIVE)
    latest_scores_refresh(review_ids=[r.pk for r in reviews])  # as scores_write keeps it
    return start


def _run_through(start):
    opened = []
    for minutes in range(0, 51, 10):
        opened += detectors_run(now=start + timedelta(minutes=minutes) + MIN, notify=False)
    return opened


def test_positive_reviews_with_a_negative_topic_raise_no_surge(stream):
    calm_baseline(stream)
    # given 20 five-star reviews in 50 minutes, each positive overall but negative on wait_time
    start = _burst(stream, "positive", 5)
    # when the detectors run through them, then nothing opens
    assert _run_through(start) == []
    assert not Incident.objects.filter(kind="surge").exists()


def test_the_same_burst_labelled_negative_overall_does_open_a_surge(stream):
    calm_baseline(stream)
    start = _burst(stream, "negative", 1)
    assert [i.kind for i in _run_through(start)] == ["surge"]
