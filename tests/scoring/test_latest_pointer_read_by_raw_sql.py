"""The reads written in SQL (the detectors' history, `crisis.selectors._HISTORY_SQL`; the
sentiment per day, `scoring.selectors.sentiment_by_day`; the reviews API's score of each review)
take a review's latest score from the stored pointer (`scoring.LatestScore`, through
`latest_score_join_sql`), the very score the inbox's sentiment filter reads, never their own
pick among the review's scores. A review rescored has two scores; the pointer names one, and
every read gives that one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.selectors import history_load
from feeds.models import Review, Source
from inbox.selectors import reviews_filtered
from scoring.models import LatestScore
from scoring.selectors import sentiment_by_day
from tests.fixtures.rows import score_add

LEGAL = {"name": "legal_threat", "evidence": ["lawyer"], "probability": 0.9}


@pytest.fixture
def rescored(clinic_a):
    """A review scored negative, then rescored positive; the stored pointer names the first
    score (the one the inbox filters on here), so a read that picks its own latest score
    differs from it."""
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        review = Review.objects.create(
            source=source, external_id="rescored", rating=3, text="ok",
            published_at=timezone.now() - timedelta(hours=3),
        )  # fmt: skip
        first = score_add(
            review=review, model_version="v1", label="negative", score=-0.8, flags=[LEGAL]
        )
        score_add(review=review, model_version="v2", label="positive", score=0.6, flags=[])
        LatestScore.objects.filter(review=review).update(score=first, label="negative", flags=[])
    return review, first


def test_sentiment_per_day_reads_the_stored_latest_score(clinic_a, rescored):
    review, first = rescored
    with schema_context(clinic_a.schema_name):
        means = sentiment_by_day(start=review.published_at - timedelta(days=1), tz="UTC")
        listed = reviews_filtered(sentiment="negative").filter(pk=review.pk).exists()
    assert list(means.values()) == [pytest.approx(first.score)]
    assert listed  # the inbox's filter reads the same score


def test_the_detectors_history_reads_the_stored_latest_score(clinic_a, rescored):
    review, _ = rescored
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        old = history_load(start=now - timedelta(days=2), end=now, text_since=now, tz="UTC").items
        recent = history_load(
            start=now - timedelta(days=2), end=now, text_since=now - timedelta(days=1), tz="UTC"
        ).items
    assert [(i.id, i.label) for i in old] == [(review.pk, "negative")]
    # the flags come from the score the pointer names
    assert [(i.label, i.flags) for i in recent] == [("negative", ("legal_threat",))]


def test_the_reviews_api_gives_the_stored_latest_score(clinic_a, rescored, api):
    review, first = rescored
    base = f"/clinics/{clinic_a.slug}/api/v1/reviews/"
    one = api("key_a_read").get(f"{base}{review.pk}/").json()["sentiment"]
    listed = api("key_a_read").get(base).json()["results"]
    assert (one["label"], one["score"], one["model"]) == ("negative", first.score, "v1")
    assert [r["sentiment"]["label"] for r in listed if r["id"] == review.pk] == ["negative"]
