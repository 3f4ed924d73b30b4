"""Scoring survives its worker dying: kill -9 in the middle of 1,000 reviews, and a review
that kills the worker every time it is scored."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count
from django_tenants.utils import schema_context

from core.pipeline import reviews_score_request
from feeds.models import Review
from scoring.models import ReviewScore, ScoringFailure
from scoring.services import MAX_ATTEMPTS
from scoring.tasks import scoring_sweep_task
from tests.faults.conftest import record_figure
from tests.fixtures.workers import wait_for

pytestmark = pytest.mark.slow

TEXTS = [
    "The dentist was gentle and the whole team was kind. Highly recommend.",
    "Waited two hours, the receptionist was rude and nobody apologised.",
    "It was fine, nothing special, parking was a bit tricky.",
    "They charged me twice and billing never calls back. Avoid.",
]


def _make(source, n: int, *, prefix: str, poison_at: int | None = None) -> list[int]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        Review(
            source=source, external_id=f"{prefix}-{i}", published_at=start + timedelta(minutes=i),
            text=("POISON " if i == poison_at else "") + f"{TEXTS[i % len(TEXTS)]} ({i})",
            rating=1 + i % 5,
        )
        for i in range(n)
    ]  # fmt: skip
    return [r.pk for r in Review.objects.bulk_create(rows)]


def _score_counts(clinic, ids) -> dict[int, int]:
    """review id -> number of score rows (any model version)."""
    with schema_context(clinic.schema_name):
        rows = (
            ReviewScore.objects.filter(review_id__in=ids)
            .values("review_id")
            .annotate(n=Count("id"))
            .values_list("review_id", "n")
        )
        return dict(rows)


def _scored(clinic, ids) -> int:
    with schema_context(clinic.schema_name):
        return ReviewScore.objects.filter(review_id__in=ids).count()


def _kill_midway(clinic, ids, kill, *, at_least: int) -> int:
    """Wait until some (not all) reviews are scored, then kill; the number scored then."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done = _scored(clinic, ids)
        if done >= at_least:
            assert done < len(ids), "scoring finished before the kill: raise the batch size"
            kill()
            return done
        time.sleep(0.05)
    raise AssertionError(f"scoring did not start: {_scored(clinic, ids)} scored")


def _assert_exactly_once(clinic, ids) -> dict:
    counts = _score_counts(clinic, ids)
    figure = {
        "reviews": len(ids),
        "scored": len(counts),
        "score_rows": sum(counts.values()),
        "scored_more_than_once": sum(1 for n in counts.values() if n > 1),
    }
    assert figure["scored"] == len(ids)
    assert figure["score_rows"] == len(ids)
    assert figure["scored_more_than_once"] == 0
    return figure


def test_kill_9_of_the_pool_process_mid_run_every_review_scored_once(
    fault_source, django_db_blocker, celery_worker_process
):
    clinic, source = fault_source
    worker = celery_worker_process(queues="ml")
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            ids = _make(source, 1000, prefix="kill")
        started = time.monotonic()
        reviews_score_request(review_ids=ids, schema_name=clinic.schema_name)

        # when the process scoring them gets SIGKILL (as the OOM killer would send)
        victim = worker.child_pids()[0]
        at_kill = _kill_midway(clinic, ids, lambda: os.kill(victim, signal.SIGKILL), at_least=200)

        # then its batch comes back (acks late + reject on worker lost) and all are scored once
        assert wait_for(lambda: _scored(clinic, ids) >= len(ids), timeout=300, interval=0.5)
        elapsed = time.monotonic() - started
        figure = _assert_exactly_once(clinic, ids)
    assert victim not in worker.child_pids()
    record_figure(
        "kill9_pool_process",
        {**figure, "scored_at_kill": at_kill, "seconds_to_all_scored": round(elapsed, 1)},
    )


def test_kill_9_of_the_whole_worker_mid_run_the_sweeper_recovers_every_review_once(
    fault_source, django_db_blocker, celery_worker_process
):
    clinic, source = fault_source
    worker = celery_worker_process(queues="ml")
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            ids = _make(source, 1000, prefix="killall")
        started = time.monotonic()
        reviews_score_request(review_ids=ids, schema_name=clinic.schema_name)

        # when the whole worker (main process and pool) is killed: its unacknowledged batch
        # stays in Redis until the visibility timeout
        def kill_all():
            os.killpg(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(10)

        at_kill = _kill_midway(clinic, ids, kill_all, at_least=200)

        # then a new worker and beat's sweeper (run here) score the rest, each review once
        celery_worker_process(queues="ml")
        swept = scoring_sweep_task(min_age_seconds=0)
        assert wait_for(lambda: _scored(clinic, ids) >= len(ids), timeout=300, interval=0.5)
        elapsed = time.monotonic() - started
        figure = _assert_exactly_once(clinic, ids)
    assert swept >= 1
    record_figure(
        "kill9_whole_worker",
        {**figure, "scored_at_kill": at_kill, "sweeper_tasks_queued": swept,
         "seconds_to_all_scored": round(elapsed, 1)},
    )  # fmt: skip


def test_a_review_that_kills_the_worker_every_time_is_parked_after_3_tries_the_rest_scored(
    fault_source, django_db_blocker, celery_worker_process
):
    clinic, source = fault_source
    worker = celery_worker_process(queues="ml", extra_env={"CAREWATCH_FAULT_KILL_ON": "POISON"})
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            ids = _make(source, 100, prefix="poison", poison_at=37)
        poison, others = ids[37], ids[:37] + ids[38:]
        started = time.monotonic()
        reviews_score_request(review_ids=ids, schema_name=clinic.schema_name)

        def parked():
            with schema_context(clinic.schema_name):
                return ScoringFailure.objects.filter(
                    review_id=poison, parked_at__isnull=False
                ).first()

        failure = wait_for(parked, timeout=300, interval=0.5)
        assert failure is not None, "the poison review was never parked"
        assert wait_for(lambda: _scored(clinic, others) == 99, timeout=120, interval=0.5)
        elapsed = time.monotonic() - started
        counts = _score_counts(clinic, ids)
    deaths = worker.log.read_text(errors="replace").count("exited with 'signal 9")
    # then it was tried at most MAX_ATTEMPTS times (each try killed the worker), then parked
    assert MAX_ATTEMPTS == 3
    assert 1 <= deaths <= MAX_ATTEMPTS
    assert failure.attempts <= MAX_ATTEMPTS + 1  # the last delivery only parks it
    assert failure.last_error.startswith("gave up after 3 attempts: the worker process died")
    assert poison not in counts
    assert sorted(counts) == sorted(others) and set(counts.values()) == {1}
    record_figure(
        "poison_review",
        {"batch": len(ids), "worker_deaths": deaths, "attempts_recorded": failure.attempts,
         "parked_error": failure.last_error, "others_scored": len(counts),
         "seconds_to_settle": round(elapsed, 1)},
    )  # fmt: skip
