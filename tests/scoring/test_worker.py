"""Scoring by a real Celery worker process against the real PostgreSQL and Redis.

These tests commit their rows (the worker is another process) and remove them afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.pipeline import reviews_score_request
from feeds.models import Review, Source
from scoring.models import ReviewScore, ScoringFailure
from scoring.versions import current_model_version
from tests.fixtures.workers import source_rows_delete, wait_for

pytestmark = pytest.mark.slow

TEXTS = [
    "The dentist was gentle and the whole team was kind. Highly recommend.",
    "Waited two hours, the receptionist was rude and nobody apologised.",
    "It was fine, nothing special, parking was a bit tricky.",
    "They charged me twice and billing never calls back. Avoid.",
]


@pytest.fixture
def committed(world, django_db_blocker):
    """A clinic-A source whose reviews are committed; everything is removed afterwards."""
    clinic = world.clinics["a"]
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        source = Source.objects.create(kind="api", name="worker tests")
    yield clinic, source
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        source_rows_delete(source)


def _make(source, n: int, *, poison_at: int | None = None, prefix: str = "w") -> list[int]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        Review(
            source=source, external_id=f"{prefix}-{i}", published_at=start + timedelta(minutes=i),
            text=("POISON " if i == poison_at else "") + TEXTS[i % len(TEXTS)], rating=1 + i % 5,
        )
        for i in range(n)
    ]  # fmt: skip
    return [r.pk for r in Review.objects.bulk_create(rows)]


def _scores(clinic, ids) -> list[ReviewScore]:
    with schema_context(clinic.schema_name):
        return list(ReviewScore.objects.filter(review_id__in=ids).select_related("review"))


def test_worker_scores_each_review_once_even_when_asked_twice(
    committed, django_db_blocker, celery_worker_process
):
    clinic, source = committed
    celery_worker_process(queues="ml")
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            ids = _make(source, 40)
        reviews_score_request(review_ids=ids, schema_name=clinic.schema_name)
        reviews_score_request(review_ids=ids, schema_name=clinic.schema_name)  # a duplicate request
        assert wait_for(lambda: len(_scores(clinic, ids)) == 40, timeout=120)
        scores = _scores(clinic, ids)
        assert len(scores) == 40
        assert {s.model_version for s in scores} == {current_model_version()}
        labels = {s.review.text: s.label for s in scores}
        assert labels[TEXTS[0]] == "positive"
        assert labels[TEXTS[1]] == "negative"
        assert all(-1 <= s.score <= 1 for s in scores)


def test_a_review_that_kills_the_worker_is_parked_and_the_rest_scored(
    committed, django_db_blocker, celery_worker_process
):
    clinic, source = committed
    celery_worker_process(queues="ml", extra_env={"CAREWATCH_FAULT_KILL_ON": "POISON"})
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            ids = _make(source, 100, poison_at=37, prefix="p")
        reviews_score_request(review_ids=ids[:64], schema_name=clinic.schema_name)
        reviews_score_request(review_ids=ids[64:], schema_name=clinic.schema_name)
        poison = ids[37]

        def settled():
            with schema_context(clinic.schema_name):
                parked = ScoringFailure.objects.filter(
                    review_id=poison, parked_at__isnull=False
                ).exists()
            return parked and len(_scores(clinic, ids)) == 99

        assert wait_for(settled, timeout=240, interval=1)
        with schema_context(clinic.schema_name):
            failure = ScoringFailure.objects.get(review_id=poison)
        assert failure.attempts <= 4  # 3 tries, the 4th delivery only parks it
        assert _scores(clinic, [poison]) == []


def test_ingest_goes_on_while_redis_is_down_and_the_sweeper_catches_up(
    committed, django_db_blocker, celery_worker_process, world
):
    from config.celery import app
    from scoring.tasks import scoring_sweep_task

    clinic, source = committed
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}")
    items = [
        {"source_id": source.pk, "external_id": f"down-{i}", "rating": 2, "text": TEXTS[i % 4],
         "published_at": "2026-11-02T10:00:00Z"}
        for i in range(20)
    ]  # fmt: skip
    broker = app.conf.broker_url
    with django_db_blocker.unblock():
        # given a broker that does not answer
        app.conf.broker_url = "redis://127.0.0.1:1/0"
        app._pool = None
        app.amqp._producer_pool = None
        try:
            response = client.post(
                "/clinics/clinic-a/api/v1/reviews/ingest/",
                json.dumps(items),
                content_type="application/json",
            )
        finally:
            app.conf.broker_url = broker
            app._pool = None
            app.amqp._producer_pool = None
        # then every item was accepted and stored, unscored
        assert response.status_code == 200
        assert response.json()["counts"]["created"] == 20
        with schema_context(clinic.schema_name):
            ids = list(Review.objects.filter(source=source).values_list("pk", flat=True))
        assert len(ids) == 20 and _scores(clinic, ids) == []
        # when Redis is back, the sweeper queues them and a worker scores each once
        celery_worker_process(queues="ml")
        assert scoring_sweep_task(min_age_seconds=0) >= 1
        assert wait_for(lambda: len(_scores(clinic, ids)) == 20, timeout=120)
        assert len(_scores(clinic, ids)) == 20
