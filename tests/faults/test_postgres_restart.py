"""PostgreSQL restarted during ingestion: while it is down the API answers 503 with
Retry-After; the web process recovers by itself (no restart); a client that retries what was
refused loses nothing, and nothing is stored twice.

The database here is a PRIVATE PostgreSQL cluster (a copy of the test database), so that it
can be stopped; the web process is a real gunicorn."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.faults.conftest import db_url, record_figure

pytestmark = pytest.mark.slow

RATE = 10
DURATION = 30.0
STOP_AT, DOWN_FOR = 8.0, 8.0


def _copy_test_database(private_postgres) -> str:
    """The test database (the world's clinics and this test's source) copied into the
    private cluster; returns its URL there."""
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(private_postgres.port), "-U", "postgres",
         "carewatch"],
        check=True,
    )  # fmt: skip
    dump = subprocess.Popen(["pg_dump", "--format=custom", "--no-owner", db_url()],
                            stdout=subprocess.PIPE)  # fmt: skip
    restore = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", private_postgres.url("carewatch")],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
    )
    dump.wait()
    assert dump.returncode == 0 and restore.returncode == 0, restore.stderr[-2000:]
    return private_postgres.url("carewatch")


def test_postgres_restart_during_ingestion_503_with_retry_after_then_recovers_nothing_lost(
    world, fault_source, private_postgres, private_redis, web_server
):
    clinic, source = fault_source
    database = _copy_test_database(private_postgres)
    web = web_server(
        {"DATABASE_URL": database, "REDIS_URL": private_redis.url(0),
         "CACHE_URL": private_redis.url(1)}
    )  # fmt: skip
    url = f"{web.base_url}/clinics/{clinic.slug}/api/v1/reviews/ingest/"
    headers = {"Authorization": f"Bearer {world.keys['key_a']}"}
    lock = threading.Lock()
    first_try: dict[str, int] = {}
    refusals: list[dict] = []  # every non-2xx answer
    accepted_at: dict[str, float] = {}
    t0 = time.monotonic()

    def send(i: int) -> None:
        """A well-behaved client: on 503 it waits Retry-After and sends the same item again."""
        external_id = f"pg-restart-{i}"
        item = {"source_id": source.pk, "external_id": external_id, "rating": 4,
                "text": f"Visit {i}: quick and friendly.", "published_at": "2026-11-03T09:00:00Z"}  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = httpx.post(url, json=[item], headers=headers, timeout=30)
                status, retry_after = response.status_code, response.headers.get("Retry-After")
            except httpx.HTTPError as exc:
                status, retry_after = 0, None
                print("transport error", exc)
            with lock:
                first_try.setdefault(external_id, status)
                if 200 <= status < 300:
                    accepted_at[external_id] = time.monotonic() - t0
                    return
                refusals.append({"status": status, "retry_after": retry_after,
                                 "at": time.monotonic() - t0})  # fmt: skip
            time.sleep(min(float(retry_after or 1), 5.0))

    total = int(DURATION * RATE)
    stopped_at = started_at = None
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(total):
            now = time.monotonic() - t0
            if stopped_at is None and now >= STOP_AT:
                private_postgres.stop("fast")
                stopped_at = time.monotonic() - t0
                health_down = httpx.get(f"{web.base_url}/health/", timeout=10)
            if started_at is None and stopped_at is not None and now >= stopped_at + DOWN_FOR:
                private_postgres.start()
                started_at = time.monotonic() - t0
            pool.submit(send, i)
            time.sleep(max(0.0, t0 + (i + 1) / RATE - time.monotonic()))
    assert stopped_at is not None and started_at is not None

    # then: while it was down, /health/ said so, and the API answered 503 with Retry-After
    assert health_down.status_code == 503 and health_down.headers["Retry-After"]
    assert health_down.json()["checks"]["postgres"].startswith("error")
    health_up = httpx.get(f"{web.base_url}/health/", timeout=10)
    assert health_up.status_code == 200, health_up.text
    assert refusals, "no request reached the server while PostgreSQL was down"
    assert {r["status"] for r in refusals} == {503}, refusals[:5]
    assert all(r["retry_after"] for r in refusals)
    # the server recovered by itself: every item was accepted in the end, the same process
    assert web.proc.poll() is None
    assert len(accepted_at) == total
    recovered_after = min(t for t in accepted_at.values() if t > started_at) - started_at
    # and every accepted review is stored, once
    with psycopg.connect(database) as conn:
        rows = conn.execute(
            f'SELECT external_id, count(*) FROM "{clinic.schema_name}".feeds_review '  # noqa: S608
            "WHERE source_id = %s GROUP BY external_id",
            [source.pk],
        ).fetchall()
    stored = dict(rows)
    assert set(stored) == set(accepted_at)
    assert set(stored.values()) == {1}
    record_figure(
        "postgres_restart",
        {"requests": total, "rate_per_s": RATE, "down_s": round(started_at - stopped_at, 1),
         "first_try_2xx": sum(1 for s in first_try.values() if 200 <= s < 300),
         "answers_503_with_retry_after": len(refusals), "other_errors": 0,
         "recovered_after_start_s": round(recovered_after, 2), "accepted": len(accepted_at),
         "stored": len(stored), "lost": 0, "duplicates": 0},
    )  # fmt: skip
