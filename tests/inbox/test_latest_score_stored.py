"""Each review's latest score is stored (`scoring.LatestScore`), written by the scoring service
whenever scores are (`scoring.services.latest_scores_refresh`), and the inbox's and the reviews
API's sentiment, topic and flag filters read it (bench/inbox: `?topic=` at 40,000 reviews).
They list exactly what the latest score read from the scores themselves listed before: the
queries from before it was stored are kept here as the reference, and a clinic with rescored
items, a new model version, ties in the same instant, items never scored, a batch, scores
deleted with an edit and a redaction lists the same reviews, in the same order, as the same
JSON text."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from inbox.selectors import (
    _review_json_sql,
    _review_where,
    _reviews_json,
    _topic_wanted,
    reviews_matching,
    reviews_page_json,
)
from scoring.models import LatestScore, ReviewScore
from scoring.selectors import latest_score_lateral_sql
from scoring.services import latest_scores_refresh, scores_redact, scores_write

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)
WAIT_NEG = {"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}
WAIT_POS = {"name": "wait_time", "triggers": ["no wait"], "sentiment": "positive"}
STAFF_NEG = {"name": "staff_attitude", "triggers": ["rude"], "sentiment": "negative"}
BILLING = {"name": "billing_insurance", "triggers": ["bill"]}  # scored before topic sentiment
LEGAL = {"name": "legal_threat", "evidence": ["my lawyer"], "probability": 0.8}
SAFETY = {"name": "patient_safety", "evidence": ["wrong dose"]}


class Result:
    """What the model hands `scores_write` (scoring.ml.engine.ScoreResult)."""

    def __init__(self, version, label="neutral", topics=(), flags=()):
        self.model_version, self.label = version, label
        self.score = {"negative": -0.7, "neutral": 0.0, "positive": 0.8}[label]
        self.confidence = 0.9
        self.topics, self.flags = list(topics), list(flags)


def _write(at: datetime, *pairs) -> None:
    """`scores_write` of (review, Result) pairs, every score made in the instant `at`."""
    with patch("django.utils.timezone.now", return_value=at):
        scores_write(results=[(review.pk, result) for review, result in pairs])


@pytest.fixture
def clinic(clinic_a):
    """external id -> review, scored through the service as the workers score them."""
    with schema_context(clinic_a.schema_name):
        google = Source.objects.create(kind="google", name="Google")
        yelp = Source.objects.create(kind="yelp", name="Yelp")
        rows = [
            # external id, source, rating, hours after T0 published (ties on purpose), reach
            ("unscored", google, 1, 0, 3),
            ("once", google, 2, 1, 10),
            ("rescored", yelp, 1, 1, 10),
            ("rescored-back", google, 4, 2, 0),
            ("tie", yelp, None, 3, 7),
            ("tie-reversed", google, 3, 3, 7),
            ("new-version", google, 5, 4, 1),
            ("batch-1", yelp, 2, 5, 2),
            ("batch-2", yelp, 2, 5, 2),
            ("edited", google, 1, 6, 4),
            ("latest-deleted", google, 2, 7, 5),
            ("redacted", yelp, 1, 8, 6),
            ("taken-down", google, 1, 9, 8),
        ]
        made = {
            eid: Review.objects.create(
                source=source, external_id=eid, rating=rating, text=f"{eid} text",
                kind="mention" if rating is None else "review",
                published_at=T0 + timedelta(hours=hours), likes=reach,
                is_deleted=eid == "taken-down",
            )
            for eid, source, rating, hours, reach in rows
        }  # fmt: skip
        r = made
        _write(T0, (r["once"], Result("a", "negative", [WAIT_NEG, BILLING], [LEGAL])))
        _write(T0, (r["rescored"], Result("a", "negative", [WAIT_NEG], [LEGAL])))
        _write(T0 + DAY, (r["rescored"], Result("b", "neutral", [STAFF_NEG])))
        _write(T0, (r["rescored-back"], Result("a", "negative", [STAFF_NEG])))
        _write(T0 + DAY, (r["rescored-back"], Result("b", "positive", [WAIT_POS], [LEGAL])))
        # two versions in one instant: the one written later (the higher id) is the latest
        _write(
            T0, (r["tie"], Result("a", "negative", [WAIT_NEG])),
            (r["tie"], Result("b", "positive", [BILLING], [SAFETY])),
        )  # fmt: skip
        _write(
            T0, (r["tie-reversed"], Result("b", "positive", [BILLING], [SAFETY])),
            (r["tie-reversed"], Result("a", "negative", [WAIT_NEG])),
        )  # fmt: skip
        _write(T0, (r["new-version"], Result("sentiment-1.1.0", "negative", [WAIT_NEG])))
        _write(T0 + 2 * DAY, (r["new-version"], Result("sentiment-1.2.0", "positive", [])))
        # a batch, and the same batch again (nothing new: the stored pointer stays)
        batch = [(r["batch-1"], Result("a", "negative", [WAIT_NEG], [LEGAL])),
                 (r["batch-2"], Result("a", "neutral", [BILLING]))]  # fmt: skip
        _write(T0, *batch)
        _write(T0 + DAY, *batch)
        # an edit deletes what scoring said of the old text (feeds.services.ingest)
        _write(T0, (r["edited"], Result("a", "negative", [WAIT_NEG], [LEGAL])))
        Review.objects.get(pk=r["edited"].pk).scores.all().delete()
        # the latest of two scores deleted: the one before it is the latest again
        _write(T0, (r["latest-deleted"], Result("a", "negative", [BILLING])))
        _write(T0 + DAY, (r["latest-deleted"], Result("b", "positive", [WAIT_POS], [LEGAL])))
        ReviewScore.objects.filter(review=r["latest-deleted"], model_version="b").delete()
        latest_scores_refresh(review_ids=[r["latest-deleted"].pk])
        _write(T0, (r["redacted"], Result("a", "negative", [WAIT_NEG], [LEGAL])))
        scores_redact(review_ids=[r["redacted"].pk], author_names=[])
        _write(T0, (r["taken-down"], Result("a", "negative", [WAIT_NEG], [LEGAL])))
    return made


# --- the queries before the latest score was stored: the reference ---------------------------


def _scores_latest_before():
    newer = ReviewScore.objects.filter(review_id=OuterRef("review_id")).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return ReviewScore.objects.filter(~Exists(newer))


SCORE_FILTERS = ("sentiment", "flag", "topic", "topic_sentiment")


def _matching_before(**filters):
    score = {k: filters.pop(k) for k in SCORE_FILTERS if k in filters}
    qs = reviews_matching(**filters)
    latest = _scores_latest_before().filter(review=OuterRef("pk"))
    if score.get("sentiment") == "unscored":
        qs = qs.filter(~Exists(ReviewScore.objects.filter(review=OuterRef("pk"))))
    elif score.get("sentiment"):
        qs = qs.filter(Exists(latest.filter(label=score["sentiment"])))
    if score.get("flag"):
        qs = qs.filter(Exists(latest.filter(flags__contains=[{"name": score["flag"]}])))
    if wanted := _topic_wanted(score.get("topic"), score.get("topic_sentiment")):
        qs = qs.filter(Exists(latest.filter(topics__contains=[wanted])))
    return qs


def _page_json_before(filters: dict) -> list[str]:
    rest = {k: v for k, v in filters.items() if k not in SCORE_FILTERS}
    where, params = _review_where(**rest)
    if filters.get("sentiment") == "unscored":
        where.append("NOT EXISTS (SELECT 1 FROM scoring_reviewscore x WHERE x.review_id = r.id)")
    elif filters.get("sentiment"):
        where.append(f"({latest_score_lateral_sql('label')}) = %s")
        params.append(filters["sentiment"])
    if filters.get("flag"):
        where.append(
            f"({latest_score_lateral_sql('flags')}) "
            "@> jsonb_build_array(jsonb_build_object('name', %s::text))"
        )
        params.append(filters["flag"])
    if wanted := _topic_wanted(filters.get("topic"), filters.get("topic_sentiment")):
        where.append(f"({latest_score_lateral_sql('topics')}) @> jsonb_build_array(%s::jsonb)")
        params.append(json.dumps(wanted))
    sql = _review_json_sql(where, detail=False, order=filters.get("order", "newest"), limit=True)
    return [item.json for item in _reviews_json(sql, [*params, 500])]


FILTERS = [
    pytest.param({}, id="none"),
    pytest.param({"sentiment": "negative"}, id="negative"),
    pytest.param({"sentiment": "neutral"}, id="neutral"),
    pytest.param({"sentiment": "positive"}, id="positive"),
    pytest.param({"sentiment": "unscored"}, id="unscored"),
    pytest.param({"flag": "legal_threat"}, id="flag"),
    pytest.param({"flag": "patient_safety"}, id="flag-safety"),
    pytest.param({"topic": "wait_time"}, id="topic"),
    pytest.param({"topic": "wait_time", "topic_sentiment": "negative"}, id="topic-negative"),
    pytest.param({"topic": "wait_time", "topic_sentiment": "positive"}, id="topic-positive"),
    pytest.param({"topic_sentiment": "negative"}, id="any-topic-negative"),
    pytest.param({"topic": "billing_insurance"}, id="topic-billing"),
    pytest.param({"topic": "billing_insurance", "flag": "patient_safety"}, id="topic-and-flag"),
    pytest.param({"sentiment": "negative", "topic": "wait_time", "source": "google"}, id="all"),
    pytest.param({"flag": "legal_threat", "include_deleted": True}, id="flag-deleted-too"),
]
ORDERS = ("newest", "oldest", "rating", "reach")


def _eids(clinic, ids) -> list[str]:
    names = {r.pk: eid for eid, r in clinic.items()}
    return [names[pk] for pk in ids if pk in names]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_filters_list_what_they_listed_before_in_every_order(clinic, clinic_a, filters):
    with schema_context(clinic_a.schema_name):
        for order in ORDERS:
            new = list(reviews_matching(**filters, order=order).values_list("pk", flat=True))
            before = list(_matching_before(**filters, order=order).values_list("pk", flat=True))
            assert new == before, order
            assert reviews_matching(**filters).count() == len(before)
            # the API's own SQL: the same reviews, the same JSON text, byte for byte
            got = reviews_page_json({**filters, "order": order}, after=None, newer=False, limit=500)
            assert [item.json for item in got] == _page_json_before({**filters, "order": order})
            assert [json.loads(item.json)["id"] for item in got] == new, order


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(
            {"topic": "wait_time"},
            {"once", "rescored-back", "tie-reversed", "batch-1", "redacted"},
            id="topic",
        ),
        pytest.param(
            {"flag": "legal_threat"}, {"once", "rescored-back", "batch-1", "redacted"}, id="flag"
        ),  # fmt: skip
        pytest.param({"flag": "patient_safety"}, {"tie"}, id="tie-higher-id"),
        pytest.param({"sentiment": "unscored"}, {"unscored", "edited"}, id="unscored"),
        pytest.param(
            {"sentiment": "positive"}, {"rescored-back", "tie", "new-version"}, id="positive"
        ),
        pytest.param(
            {"topic": "billing_insurance"},
            {"once", "tie", "batch-2", "latest-deleted"},
            id="billing",
        ),  # fmt: skip
    ],
)
def test_the_filters_read_the_latest_score(clinic, clinic_a, filters, expected):
    with schema_context(clinic_a.schema_name):
        listed = set(_eids(clinic, reviews_matching(**filters).values_list("pk", flat=True)))
    assert listed == expected


def test_the_stored_pointer_is_each_reviews_latest_score_and_keeps_no_words(clinic, clinic_a):
    with schema_context(clinic_a.schema_name):
        stored = {p.review_id: p for p in LatestScore.objects.all()}
        for eid, review in clinic.items():
            latest = ReviewScore.objects.filter(review=review).order_by("-created_at", "-id")
            latest = latest.first()
            if latest is None:
                assert review.pk not in stored, eid
                continue
            pointer = stored[review.pk]
            assert (pointer.score_id, pointer.label) == (latest.pk, latest.label), eid
            assert pointer.topics == [
                {k: t[k] for k in ("name", "sentiment") if k in t} for t in latest.topics
            ]
            assert pointer.flags == [{"name": f["name"]} for f in latest.flags]
        # the redacted review's words are gone from its score; its names still filter
        redacted = ReviewScore.objects.get(review=clinic["redacted"])
        assert redacted.flags == [{"name": "legal_threat", "evidence": [], "probability": 0.8}]
        assert stored[clinic["redacted"].pk].flags == [{"name": "legal_threat"}]


def test_the_backfill_stores_what_the_service_stores(clinic, clinic_a):
    backfill = importlib.import_module("scoring.migrations.0006_latest_score_pointer").BACKFILL
    with schema_context(clinic_a.schema_name):
        fields = ("review_id", "score_id", "label", "topics", "flags")
        kept = sorted(LatestScore.objects.values_list(*fields))
        LatestScore.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(backfill)
        assert sorted(LatestScore.objects.values_list(*fields)) == kept
        assert len(kept) == 11  # of 13: one never scored, one whose scores went with an edit


def test_the_inbox_page_shows_the_rows_it_showed_before(clinic, clinic_a, login):
    client = login("alpha_writer")
    for query, filters in (
        ("topic=wait_time", {"topic": "wait_time"}),
        ("flag=legal_threat&order=reach", {"flag": "legal_threat", "order": "reach"}),
        ("topic_sentiment=negative&order=rating", {"topic_sentiment": "negative", "order": "rating"}),
    ):  # fmt: skip
        body = client.get(f"/clinics/clinic-a/inbox/?{query}").content.decode()
        shown = [int(pk) for pk in re.findall(r'id="r(\d+)"', body)]
        with schema_context(clinic_a.schema_name):
            before = list(_matching_before(**filters).values_list("pk", flat=True))
        assert shown == before, query


@pytest.mark.parametrize("filters", [{"topic": "wait_time"}, {"flag": "legal_threat"},
                                     {"sentiment": "negative"}])  # fmt: skip
def test_a_filter_reads_the_stored_pointer_not_the_scores(clinic, clinic_a, filters):
    # no correlated subquery ("SubPlan") per review, and no score read at all
    with schema_context(clinic_a.schema_name), connection.cursor() as cursor:
        sql, params = reviews_matching(**filters).order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "SubPlan" not in plan, plan
    assert "scoring_reviewscore" not in plan and "scoring_latestscore" in plan, plan
