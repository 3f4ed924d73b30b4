"""Finding 7: `make run` served with `runserver` and CONN_MAX_AGE=300: every request thread
kept its own PostgreSQL connection until garbage collection, ~100 requests used up
max_connections and then everything failed with "too many clients". `make run` now serves
with gunicorn and the production web config (a bounded number of workers, one connection
each); runserver is `make dev`, with no persistent connections.

This starts the Procfile's `web` command itself on a free port, against the test database,
drives 1,000 sequential requests (each on a new TCP connection, as a browser's many tabs
would) and 30 concurrent sign-ins, and watches pg_stat_activity meanwhile."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.fixtures import workers
from tests.fixtures.tenants import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _web_command() -> str:
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return line.removeprefix("web:").strip()


@pytest.fixture
def make_run_web(world, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": workers.test_database_url(),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "DEBUG": "false",
    }
    env.pop("CONN_MAX_AGE", None)  # the make-run default (persistent connections)
    log = tmp_path / "web.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["bash", "-c", _web_command()],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(requests.RequestException):
                if requests.get(base + "/health/", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("web did not start:\n" + log.read_text()[-3000:])
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn and its workers
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class _Watch(threading.Thread):
    """The most connections the test database had at once (pg_stat_activity)."""

    def __init__(self, dsn: str, dbname: str):
        super().__init__(daemon=True)
        self.dsn, self.dbname, self.most, self.done = dsn, dbname, 0, threading.Event()

    def run(self):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.done.is_set():
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    [self.dbname],
                ).fetchone()
                self.most = max(self.most, n)
                time.sleep(0.05)


@pytest.fixture
def sign_in_person(django_db_blocker):
    """A person of their own for the sign-ins (a third of them wrong): the server commits
    their failed attempts and lock, which on a person of the session's world would outlive
    this test and lock them out of the next ones in this process."""
    from accounts.models import User

    with django_db_blocker.unblock():
        user = User.objects.create_user(
            email=f"f7-{uuid.uuid4().hex[:8]}@clinics.test", password=PASSWORD
        )
    try:
        yield user.email
    finally:
        with django_db_blocker.unblock():
            User.objects.filter(pk=user.pk).delete()


def test_make_run_serves_with_a_bounded_number_of_connections(make_run_web, world, sign_in_person):
    assert re.search(r"\bgunicorn\b", _web_command()) and "runserver" not in _web_command()
    dbname = connection.settings_dict["NAME"]
    watch = _Watch(workers.test_database_url(), dbname)
    with psycopg.connect(workers.test_database_url(), autocommit=True) as conn:
        (before,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [dbname]
        ).fetchone()
    watch.start()
    key = {"Authorization": f"Bearer {world.keys['key_a']}"}
    paths = [
        ("/health/", {}),
        ("/login/", {}),
        ("/clinics/clinic-a/api/v1/reviews/", key),
        ("/api/v1/clinics/", {"Authorization": f"Bearer {world.keys['key_alpha']}"}),
    ]
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for i in range(1000):
        path, headers = paths[i % len(paths)]
        # a new TCP connection each time: no keep-alive to hide the server's threads
        code = requests.get(
            make_run_web + path, headers={**headers, "Connection": "close"}, timeout=30
        ).status_code
        statuses[code] = statuses.get(code, 0) + 1

    def sign_in(i: int) -> int:
        s = requests.Session()
        s.get(make_run_web + "/login/", timeout=30)
        return s.post(
            make_run_web + "/login/",
            data={
                "username": sign_in_person,
                "password": PASSWORD if i % 3 else "wrong-password",
                "csrfmiddlewaretoken": s.cookies.get("csrftoken", ""),
            },
            headers={"Referer": make_run_web + "/login/"},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(30) as pool:
        for code in pool.map(sign_in, range(30)):
            statuses[code] = statuses.get(code, 0) + 1
    elapsed = time.monotonic() - started
    watch.done.set()
    watch.join(5)

    assert not {c for c in statuses if c >= 500}, statuses
    assert sum(statuses.values()) == 1030
    # one connection per gunicorn worker (1 thread each), plus what the test itself holds
    assert watch.most - before <= WORKERS + 1, (watch.most, before, statuses)
    print(f"1,030 requests in {elapsed:.1f} s: {statuses}; at most {watch.most} connections")
