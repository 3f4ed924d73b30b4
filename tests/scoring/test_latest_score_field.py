"""`scoring.selectors.latest_score_field`: the fields of each review's latest score read through
the stored pointer (`scoring.LatestScore`), the one way the export, the monthly report, the
post-crisis figures, the dashboard and the reply target read it. It gives what the rule gives
(`latest_score`: newest by `created_at`, then the higher id), field for field, however the
review was rescored; nothing for a review never scored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from responses.models import ReplyDraft
from scoring.models import ReviewScore
from scoring.selectors import latest_score, latest_score_field
from scoring.services import latest_scores_refresh

T0 = datetime(2026, 9, 1, tzinfo=UTC)
FIELDS = ("label", "score", "confidence", "topics", "flags", "model_version")
WAIT = {"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}
LEGAL = {"name": "legal_threat", "evidence": ["lawyer"], "probability": 0.8}


@pytest.fixture
def scored(clinic_a):
    """external id -> review, each scored as listed (label, score, hours after T0, topics,
    flags), in the order written."""
    rows = {
        "rescored-later": [
            ("positive", 0.7, 0, [], []),
            ("negative", -0.6, 24, [WAIT], [LEGAL]),
        ],
        "rescore-backdated": [  # written last, but older: the first one stays the latest
            ("negative", -0.9, 10, [WAIT], [LEGAL]),
            ("positive", 0.4, 2, [], []),
        ],
        "same-instant": [  # the higher id wins
            ("neutral", 0.0, 5, [], []),
            ("negative", -0.3, 5, [WAIT], []),
        ],
        "once": [("neutral", 0.1, 0, [], [])],
        "unscored": [],
    }
    made = {}
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n, (eid, scores) in enumerate(rows.items()):
            review = made[eid] = Review.objects.create(
                source=source, external_id=eid, rating=3, text=eid, published_at=T0
            )
            for version, (label, value, hours, topics, flags) in enumerate(scores):
                score = ReviewScore.objects.create(
                    review=review, model_version=f"v{version}", label=label, score=value,
                    confidence=0.5 + n / 10, topics=topics, flags=flags,
                )  # fmt: skip
                ReviewScore.objects.filter(pk=score.pk).update(
                    created_at=T0 + timedelta(hours=hours)
                )
            latest_scores_refresh(review_ids=[review.pk])  # as scores_write keeps it
    return made


def _expected(review) -> tuple:
    score = latest_score(review)
    return tuple(getattr(score, f) for f in FIELDS) if score else (None,) * len(FIELDS)


def test_each_review_reads_its_latest_score_field_for_field(clinic_a, scored):
    with schema_context(clinic_a.schema_name):
        # when every field is read through the pointer
        got = {
            eid: tuple(values)
            for eid, *values in Review.objects.annotate(
                **{f"s_{f}": latest_score_field(f) for f in FIELDS}
            ).values_list("external_id", *(f"s_{f}" for f in FIELDS))
        }
        # then each is the latest score's by the rule, and nothing where none was written
        assert got == {eid: _expected(review) for eid, review in scored.items()}
        assert got["rescored-later"] == (
            "negative", -0.6, 0.5, [WAIT], [LEGAL], "v1"
        )  # fmt: skip
        assert got["rescore-backdated"][:2] == ("negative", -0.9)
        assert got["same-instant"][:2] == ("negative", -0.3)
        assert got["unscored"] == (None,) * len(FIELDS)


def test_a_row_reads_its_reviews_latest_score_through_the_relation(clinic_a, scored):
    with schema_context(clinic_a.schema_name):
        # given a reply to each review
        for review in scored.values():
            ReplyDraft.objects.create(review=review, author_label="user:1")
        # when the replies read their review's latest label and score
        got = {
            eid: (label, value)
            for eid, label, value in ReplyDraft.objects.annotate(
                label=latest_score_field("label", through="review"),
                value=latest_score_field("score", through="review"),
            ).values_list("review__external_id", "label", "value")
        }
        # then each is its review's
        assert got == {
            "rescored-later": ("negative", -0.6),
            "rescore-backdated": ("negative", -0.9),
            "same-instant": ("negative", -0.3),
            "once": ("neutral", 0.1),
            "unscored": (None, None),
        }
