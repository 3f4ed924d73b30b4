"""Fault tests against real services: a real Celery worker, a real gunicorn, and PRIVATE
Redis and PostgreSQL servers on free ports (started here, stopped and restarted by the tests;
the shared ones on 6379 and 5432 are never touched).

Each test records its figure in test-artifacts/faults/<name>.json, or with
FAULT_FIGURES=bench/scale/faults in the committed copies that bench/scale collects; each
also prints it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from feeds.models import Source
from tests.fixtures.workers import source_rows_delete, test_database_url
from tests.responses.conftest import platforms  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
# A test run leaves the tree clean: figures go to test-artifacts/faults/ unless
# FAULT_FIGURES=bench/scale/faults asks to refresh the committed ones that bench/scale reads.
FIGURES = ROOT / os.environ.get("FAULT_FIGURES", "test-artifacts/faults")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def record_figure(name: str, figure: dict) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    body = {"fault": name, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (FIGURES / f"{name}.json").write_text(json.dumps({**body, **figure}, indent=2) + "\n")
    print(f"\nFAULT FIGURE {name}: {json.dumps(figure)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """redis-server on a free port, no persistence: stop() is `SHUTDOWN NOSAVE`."""

    def __init__(self, workdir: Path):
        self.port, self.dir = free_port(), workdir

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir),
             "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.dir / "redis.log")],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._cli("ping").stdout.strip() == "PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True
        )

    def stop(self) -> None:
        self._cli("shutdown", "nosave")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._cli("ping").returncode == 0:
            time.sleep(0.05)


@pytest.fixture
def private_redis():
    workdir = Path(tempfile.mkdtemp(prefix="cw-redis-"))
    server = PrivateRedis(workdir).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster (run as the `postgres` OS user: initdb refuses
    root), trust auth on 127.0.0.1 and a socket in its own directory."""

    def __init__(self, workdir: Path):
        self.port, self.dir = free_port(), workdir
        self.data = workdir / "data"

    def _as_postgres(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, **kw)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def init(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        out = self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return self.start()

    def start(self) -> PrivatePostgres:
        out = self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "pg.log"), "-w",
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return self

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@pytest.fixture
def private_postgres():
    workdir = Path(tempfile.mkdtemp(prefix="cw-pg-", dir="/tmp"))
    server = PrivatePostgres(workdir).init()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)


class WebServer:
    """gunicorn (config/gunicorn.py) serving the project with the given environment."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"],
            cwd=ROOT,
            env={
                **os.environ,
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "8",
                "API_RATE_LIMIT": "100000/min",
                "LOG_LEVEL": "WARNING",
                "DEBUG": "false",  # as in production: errors go to the handlers, not a debug page
                **env,
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> WebServer:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                httpx.get(f"{self.base_url}/health/", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                # its own session (start_new_session): the master and any worker it left
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture
def web_server(tmp_path):
    """web_server(env) -> a running gunicorn; stopped after the test."""
    started: list[WebServer] = []

    def start(env: dict) -> WebServer:
        server = WebServer(env, tmp_path / f"web-{len(started)}.log").wait_ready()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        lines = server.log.read_text(errors="replace").splitlines()
        others = "\n".join(line for line in lines if '" 20' not in line)  # no 2xx access lines
        print(f"--- {server.log.name} (without 2xx access lines) ---\n{others[-6000:]}")


@pytest.fixture
def fault_source(world, django_db_blocker):
    """An API source of clinic A whose reviews are committed (workers and web servers are
    other processes); its reviews, scores and failures are removed afterwards."""
    clinic = world.clinics["a"]
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        source = Source.objects.create(kind="api", name=f"faults {uuid.uuid4().hex[:6]}")
    yield clinic, source
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        source_rows_delete(source)


def db_url() -> str:
    return test_database_url()


def broker_url() -> str:
    return settings.CELERY_BROKER_URL
