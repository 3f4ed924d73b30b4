"""A benchmark's own PostgreSQL database, made fresh before a run and dropped after it (the scale
and soak benches): `FORCE` ends whatever is still connected to it. The in-process page benches
(approvals, incident room, review PDF) also take their settings (`bench_environ`), their migrated
database with Django set up (`django_on_fresh_db`), a signed-in staff client (`staff_client`) and
the timing of their requests (`timed_requests`) here."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg


def bench_environ(default_db: str) -> tuple[str, str]:
    """Point Django at the bench's own database (BENCH_DB, else `default_db`) on BENCH_PG and at
    BENCH_REDIS / BENCH_CACHE, DEBUG off; before Django is imported. Returns (base, db)."""
    db = os.environ.get("BENCH_DB", default_db)
    base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    os.environ.update(
        {
            "DATABASE_URL": f"{base}/{db}",
            "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"),
            "CACHE_URL": os.environ.get("BENCH_CACHE", "redis://127.0.0.1:6379/14"),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    return base, db


def django_on_fresh_db(base: str, db: str) -> None:
    """Make the bench's database fresh, migrate its public schema (`manage.py migrate_schemas
    --shared`) and set Django up in this process (after `bench_environ`)."""
    reset_db(base, db)
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--shared", "-v", "0"],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    import django

    django.setup()


def staff_client(user):
    """A Django test client signed in as `user` with two-factor done (a confirmed TOTP device
    in the session), as agency staff pages require."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed_requests(get, n: int) -> tuple[dict, object, list]:
    """`get()` `n` times, each a 200: the medians of wall and the process's own CPU time, the
    queries and bytes of the last answer ({"wall_s_p50", "cpu_s_p50", "queries", "kb"}), that
    answer, and its captured queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, response = [], [], None
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            t0, c0 = time.perf_counter(), time.process_time()
            response = get()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        assert response.status_code == 200, response.status_code
    figures = {
        "wall_s_p50": round(statistics.median(walls), 3),
        "cpu_s_p50": round(statistics.median(cpus), 3),
        "queries": len(captured),
        "kb": round(len(response.content) / 1024),
    }
    return figures, response, captured.captured_queries


def reset_db(base: str, db: str) -> None:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")


def drop_db(base: str, db: str) -> None:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
