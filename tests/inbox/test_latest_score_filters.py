"""The inbox's topic and flag filters read the latest score of each review as stored
(`scoring.LatestScore`, `scoring.selectors.latest_score_stored`) with EXISTS (bench/inbox:
`?topic=` at 40,000 reviews), and list exactly the reviews whose latest score names that topic
or flag, however often they were rescored and whatever an older score said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from inbox.selectors import reviews_matching
from scoring.models import ReviewScore
from scoring.selectors import latest_score
from scoring.services import latest_scores_refresh

T0 = datetime(2026, 9, 1, tzinfo=UTC)
INBOX = "/clinics/clinic-a/inbox/"
WAIT_NEG = {"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}
WAIT_POS = {"name": "wait_time", "triggers": ["no wait"], "sentiment": "positive"}
STAFF_NEG = {"name": "staff_attitude", "triggers": ["rude"], "sentiment": "negative"}
BILLING = {"name": "billing_insurance", "triggers": ["bill"]}  # scored before topic sentiment
LEGAL = {"name": "legal_threat", "evidence": ["lawyer"], "probability": 0.8}


def _score(review, version: str, at: datetime, topics=(), flags=()) -> ReviewScore:
    score = ReviewScore.objects.create(
        review=review, model_version=version, label="neutral", score=0.0,
        topics=list(topics), flags=list(flags),
    )  # fmt: skip
    ReviewScore.objects.filter(pk=score.pk).update(created_at=at)
    latest_scores_refresh(review_ids=[review.pk])  # as scores_write keeps it
    return score


@pytest.fixture
def rescored(clinic_a):
    """external id -> review: each scored by the versions listed (oldest first), some rescored
    with another topic or flag than before, two in the same instant (the higher id wins)."""
    rows = {
        # (version, hours after T0, topics, flags) of each score
        "wait-then-staff": [("a", 0, [WAIT_NEG], [LEGAL]), ("b", 24, [STAFF_NEG], [])],
        "staff-then-wait": [("a", 0, [STAFF_NEG], []), ("b", 24, [WAIT_NEG], [LEGAL])],
        "neg-then-pos": [("a", 0, [WAIT_NEG], []), ("b", 1, [WAIT_POS], [])],
        "once-wait": [("a", 0, [WAIT_NEG, BILLING], [])],
        "same-instant": [("a", 5, [WAIT_NEG], []), ("b", 5, [BILLING], [LEGAL])],
        "same-instant-back": [("b", 5, [BILLING], [LEGAL]), ("a", 5, [WAIT_POS], [])],
        "wait-then-none": [("a", 0, [WAIT_NEG], [LEGAL]), ("b", 2, [], [])],
        "three-times": [("a", 0, [], []), ("b", 1, [BILLING], []), ("c", 2, [WAIT_NEG], [])],
        "unscored": [],
    }
    made = {}
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n, (eid, scores) in enumerate(rows.items()):
            made[eid] = Review.objects.create(
                source=source, external_id=eid, rating=3, text=f"{eid} text",
                published_at=T0 + timedelta(hours=n),
            )  # fmt: skip
            for version, hours, topics, flags in scores:
                _score(made[eid], version, T0 + timedelta(hours=hours), topics, flags)
    return made


def _as_before(reviews, wanted: dict, column: str) -> set[str]:
    """The reviews whose latest score (`scoring.selectors.latest_score`, one at a time) holds
    an entry with every key of `wanted`."""
    found = set()
    for eid, review in reviews.items():
        score = latest_score(review)
        entries = getattr(score, column) if score else []
        if any(all(e.get(k) == v for k, v in wanted.items()) for e in entries):
            found.add(eid)
    return found


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(
            {"topic": "wait_time"},
            {"staff-then-wait", "neg-then-pos", "once-wait", "same-instant-back", "three-times"},
            id="topic",
        ),
        pytest.param(
            {"topic": "wait_time", "topic_sentiment": "negative"},
            {"staff-then-wait", "once-wait", "three-times"},
            id="topic-negative",
        ),
        pytest.param(
            {"topic": "wait_time", "topic_sentiment": "positive"},
            {"neg-then-pos", "same-instant-back"},
            id="topic-positive",
        ),
        pytest.param(
            {"topic_sentiment": "negative"},
            {"wait-then-staff", "staff-then-wait", "once-wait", "three-times"},
            id="any-topic-negative",
        ),
        pytest.param(
            {"topic": "billing_insurance"}, {"once-wait", "same-instant"}, id="topic-billing"
        ),
        pytest.param({"flag": "legal_threat"}, {"staff-then-wait", "same-instant"}, id="flag"),
        pytest.param(
            {"flag": "legal_threat", "topic": "billing_insurance"}, {"same-instant"}, id="both"
        ),
    ],
)
def test_topic_and_flag_filters_list_what_the_latest_score_says(
    rescored, clinic_a, filters, expected
):
    with schema_context(clinic_a.schema_name):
        mine = [r.pk for r in rescored.values()]
        listed = set(
            reviews_matching(**filters).filter(pk__in=mine).values_list("external_id", flat=True)
        )
        # the latest score read one review at a time says the same
        topic = {k: v for k, v in (("name", filters.get("topic")),
                                   ("sentiment", filters.get("topic_sentiment"))) if v}  # fmt: skip
        reference = set(rescored)
        if topic:
            reference &= _as_before(rescored, topic, "topics")
        if filters.get("flag"):
            reference &= _as_before(rescored, {"name": filters["flag"]}, "flags")
    assert listed == reference == expected


def test_the_inbox_lists_the_latest_scores_topic_only(rescored, login):
    body = login("alpha_writer").get(f"{INBOX}?topic=wait_time&topic_sentiment=negative")
    assert body.status_code == 200
    shown = {eid for eid, r in rescored.items() if f'id="r{r.pk}"' in body.content.decode()}
    assert shown == {"staff-then-wait", "once-wait", "three-times"}


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param({"topic": "wait_time"}, id="topic"),
        pytest.param({"topic": "wait_time", "topic_sentiment": "negative"}, id="topic-sentiment"),
        pytest.param({"flag": "legal_threat"}, id="flag"),
    ],
)
def test_the_filter_reads_the_stored_latest_score_not_a_subquery_per_review(
    rescored, clinic_a, filters
):
    # a correlated subquery ("SubPlan") would read the latest score of every review listed
    with schema_context(clinic_a.schema_name), connection.cursor() as cursor:
        sql, params = reviews_matching(**filters).order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "SubPlan" not in plan, plan
    # one stored row per review, never the scores with no newer one of their review
    assert "scoring_latestscore" in plan and "scoring_reviewscore" not in plan, plan
