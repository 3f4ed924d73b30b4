"""Redis stopped for 30 s while reviews arrive through the API at 10 per second: every
request is accepted and stored, and once Redis is back beat's sweeper and the ml worker catch
up - each review scored exactly once. Everything here talks to a private Redis: a real
gunicorn, a real ml worker, a real default worker and a real beat."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db.models import Count
from django_tenants.utils import schema_context

from feeds.models import Review
from scoring.models import ReviewScore
from tests.faults.conftest import ROOT, db_url, record_figure
from tests.fixtures.workers import wait_for

pytestmark = pytest.mark.slow

RATE = 10  # requests per second, one review each
BEFORE, OUTAGE, AFTER = 10.0, 30.0, 10.0
CATCH_UP_LIMIT = 120.0


@pytest.fixture
def beat(tmp_path):
    """A real `celery beat` with the project's schedule (the sweepers included)."""
    procs = []

    def start(env: dict) -> subprocess.Popen:
        log = tmp_path / "beat.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
             "-S", "celery.beat:PersistentScheduler", "-s", str(tmp_path / "beat-schedule")],
            cwd=ROOT, env={**os.environ, **env}, stdout=log.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(15)
        print(f"--- beat.log ---\n{log.read_text(errors='replace')[-2000:]}")


def test_redis_down_for_30_s_at_10_reviews_a_second_nothing_lost_or_duplicated(
    world, fault_source, django_db_blocker, private_redis, celery_worker_process, web_server, beat
):
    clinic, source = fault_source
    env = {
        "DATABASE_URL": db_url(),
        "REDIS_URL": private_redis.url(0),
        "CACHE_URL": private_redis.url(1),
    }
    celery_worker_process(queues="ml", extra_env=env)
    celery_worker_process(queues="default", extra_env=env)
    beat(env)
    web = web_server(env)
    url = f"{web.base_url}/clinics/{clinic.slug}/api/v1/reviews/ingest/"
    headers = {"Authorization": f"Bearer {world.keys['key_a']}"}
    results: dict[str, tuple[int, float]] = {}
    lock = threading.Lock()

    def send(i: int) -> None:
        item = {
            "source_id": source.pk, "external_id": f"redis-down-{i}", "rating": 1 + i % 5,
            "text": f"Review number {i}: the front desk was slow but the nurse was kind.",
            "published_at": "2026-11-02T10:00:00Z",
        }  # fmt: skip
        started = time.monotonic()
        try:
            status = httpx.post(url, json=[item], headers=headers, timeout=30).status_code
        except httpx.HTTPError:
            status = 0
        with lock:
            results[item["external_id"]] = (status, time.monotonic() - started)

    # when reviews arrive at 10/s and Redis stops after 10 s for 30 s
    total = int((BEFORE + OUTAGE + AFTER) * RATE)
    t0 = time.monotonic()
    back_at = None
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(total):
            now = time.monotonic() - t0
            if now >= BEFORE and private_redis_running(private_redis) and back_at is None:
                private_redis.stop()
                stopped_at = time.monotonic()
            if (
                back_at is None
                and now >= BEFORE + OUTAGE
                and not private_redis_running(private_redis)
            ):
                private_redis.start()
                back_at = time.monotonic()
            pool.submit(send, i)
            time.sleep(max(0.0, t0 + (i + 1) / RATE - time.monotonic()))
    assert back_at is not None
    outage = back_at - stopped_at

    # then every request was accepted and stored once
    statuses = [status for status, _ in results.values()]
    accepted = [s for s in statuses if 200 <= s < 300]
    assert len(results) == total
    assert len(accepted) == total, {s: statuses.count(s) for s in set(statuses)}
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        stored = Review.objects.filter(source=source).count()
        ids = list(Review.objects.filter(source=source).values_list("pk", flat=True))
    assert stored == total

    # and scoring catches up within 2 minutes of Redis coming back, each review scored once
    def scored() -> int:
        with django_db_blocker.unblock(), schema_context(clinic.schema_name):
            return ReviewScore.objects.filter(review_id__in=ids).count()

    assert wait_for(lambda: scored() >= total, timeout=CATCH_UP_LIMIT + 30, interval=1)
    caught_up = time.monotonic() - back_at
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        per_review = (
            ReviewScore.objects.filter(review_id__in=ids)
            .values("review_id")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
        per_review = list(per_review)
    assert len(per_review) == total and set(per_review) == {1}
    assert caught_up <= CATCH_UP_LIMIT
    record_figure(
        "redis_down_30s",
        {"requests": total, "rate_per_s": RATE, "outage_s": round(outage, 1),
         "accepted_2xx": len(accepted), "stored": stored, "scored_once": len(per_review),
         "duplicates": 0, "max_latency_s": round(max(t for _, t in results.values()), 2),
         "catch_up_after_return_s": round(caught_up, 1)},
    )  # fmt: skip


def private_redis_running(server) -> bool:
    return server._cli("ping").stdout.strip() == "PONG"
