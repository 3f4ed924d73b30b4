"""Carewatch at 100 and 1,000 clinics on one PostgreSQL, and the fault figures.

For each size: time to create a clinic (p50 / p95 / max), `migrate_schemas` with nothing to
apply (our executor: skip up-to-date clinics, migrate the rest in parallel; and django-tenants'
standard one where --standard-up-to allows), `migrate_all` with nothing to apply, one polling
dispatcher round (one due source per clinic), the detectors for every clinic (fan-out, then a
real `default` worker with 2 processes draining one task per clinic), the most PostgreSQL
connections open meanwhile, and how much catalogue cache one backend holds after visiting every
clinic (why connections are recycled).

The fault figures are those the fault tests wrote (tests/faults, bench/scale/faults/*.json);
`--run-faults` runs those tests first.

Uses its own database (carewatch_scale_bench: created, then dropped unless --keep) and its own
Redis (a private redis-server on a free port). Prints a table, writes bench/scale/results.json.

    nice -n 10 .venv/bin/python bench/scale/run.py [--sizes 100,1000] [--run-faults]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench import benchdb  # noqa: E402

HERE = Path(__file__).resolve().parent
DB = "carewatch_scale_bench"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGETS = {"create_p95_s": 2.0, "migrate_schemas_noop_s_at_1000": 120.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self) -> None:
        self.port, self.dir = free_port(), Path(tempfile.mkdtemp(prefix="cw-bench-redis-"))

    def start(self) -> Redis:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir)],
            check=True,
        )  # fmt: skip
        for _ in range(100):
            if self.cli("ping") == "PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def cli(self, *args: str) -> str:
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True)
        return out.stdout.decode().strip()

    def stop(self) -> None:
        self.cli("shutdown", "nosave")
        shutil.rmtree(self.dir, ignore_errors=True)


class ConnectionSampler:
    """The most connections to the bench database seen (pg_stat_activity, every 50 ms)."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
            while not self._stop.is_set():
                n = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DB]
                ).fetchone()[0]
                self.peak = max(self.peak, n)
                time.sleep(0.05)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def reset_db() -> None:
    benchdb.reset_db(BASE, DB)


def drop_db() -> None:
    benchdb.drop_db(BASE, DB)


def manage(env: dict, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def django(env: dict, code: str, *args: str) -> dict:
    """Run `code` with Django set up; it prints one JSON line last."""
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


CREATE = """
import json, sys, time
from datetime import timedelta
from django.utils import timezone
from django_tenants.utils import schema_context
from agency.models import Agency
from agency.services import agency_create
from clinics.services import clinic_create
from feeds.models import Review, Source
from core.crypto import encrypt_json
agency = Agency.objects.filter(slug="bench").first() or agency_create(
    name="Bench", slug="bench", support_email="bench@example.com")
from clinics.schemas import spares_refill
start, stop, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
times = []
now = timezone.now()
for i in range(start, stop):
    if mode == "spare":
        spares_refill(target=1)  # untimed: the refill task's work, done after the last commit
    t = time.perf_counter()
    clinic = clinic_create(agency=agency, name=f"Bench {i}", slug=f"bench-{i:04d}")
    times.append(time.perf_counter() - t)
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind="google", name="Google", settings={},
                                       credentials_encrypted=encrypt_json({"access_token": "b"}))
        Review.objects.bulk_create([
            Review(source=source, external_id=f"r{j}", rating=1 + j % 5,
                   text="Waited an hour; the nurse was kind.",
                   published_at=now - timedelta(hours=j))
            for j in range(20)
        ])
print(json.dumps({"times": times}))
"""

POPULATE = """
import json, os, re, subprocess, sys
from datetime import timedelta
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from agency.models import Agency
from clinics.models import Clinic, Domain
from clinics.schemas import TEMPLATE_SCHEMA
from clinics.services import schema_name_for
from feeds.models import Review, Source
from core.crypto import encrypt_json
start, stop = int(sys.argv[1]), int(sys.argv[2])
agency = Agency.objects.get(slug="bench")
dump = subprocess.run(
    ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-n", TEMPLATE_SCHEMA,
     os.environ["DATABASE_URL"]], check=True, capture_output=True, text=True).stdout
ddl = "\\n".join(
    line for line in dump.splitlines()
    if line and not line.startswith(("--", "\\\\", "SET ", "SELECT pg_catalog.set_config")))
with connection.cursor() as cursor:
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                   [TEMPLATE_SCHEMA])
    tables = [row[0] for row in cursor.fetchall()]
    filled = []
    for table in tables:
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{TEMPLATE_SCHEMA}"."{table}")')
        if cursor.fetchone()[0]:
            filled.append(table)
now = timezone.now()
for i in range(start, stop):
    slug = f"bench-{i:04d}"
    schema = schema_name_for(slug)
    with transaction.atomic():
        clinic = Clinic.objects.create(agency=agency, name=f"Bench {i}", slug=slug,
                                       schema_name=schema)
        with connection.cursor() as cursor:
            cursor.execute(re.sub(r"\\bclinic_template\\b", schema, ddl))
            for table in filled:
                cursor.execute(
                    f'INSERT INTO "{schema}"."{table}" SELECT * FROM "{TEMPLATE_SCHEMA}"."{table}"')
        Domain.objects.create(domain=slug, tenant=clinic, is_primary=True)
    with schema_context(schema):
        source = Source.objects.create(kind="google", name="Google", settings={},
                                       credentials_encrypted=encrypt_json({"access_token": "b"}))
        Review.objects.bulk_create([
            Review(source=source, external_id=f"r{j}", rating=1 + j % 5,
                   text="Waited an hour; the nurse was kind.",
                   published_at=now - timedelta(hours=j))
            for j in range(20)
        ])
print(json.dumps({"made": stop - start}))
"""


def populate(env: dict, start: int, stop: int, procs: int) -> float:
    """Clinics start..stop-1, untimed and in parallel, by replaying the template's DDL (what
    clone_schema does, without its lock that serialises concurrent clones)."""
    started = time.perf_counter()
    step = -(-(stop - start) // procs)
    ranges = [(a, min(a + step, stop)) for a in range(start, stop, step)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup()\n" + POPULATE, str(a), str(b)],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for a, b in ranges
    ]
    for child in children:
        _, err = child.communicate()
        if child.returncode:
            raise RuntimeError(err[-3000:])
    return time.perf_counter() - started


DISPATCH = """
import json, time
from django.db import connection
from django_tenants.utils import schema_context
from clinics.models import Clinic
from feeds.tasks import sources_poll_dispatch_task
for schema in Clinic.objects.values_list("schema_name", flat=True):
    with schema_context(schema):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE feeds_source SET next_poll_at = NULL")
connection.close()
t = time.perf_counter()
queued = sources_poll_dispatch_task()
print(json.dumps({"seconds": time.perf_counter() - t, "queued": queued}))
"""

FANOUT = """
import json, time
from crisis.tasks import detectors_run_all_task
t = time.perf_counter()
queued = detectors_run_all_task()
print(json.dumps({"seconds": time.perf_counter() - t, "queued": queued}))
"""

CATALOGUE = """
import json
from django.db import connection
from django_tenants.utils import schema_context
from clinics.models import Clinic
from feeds.models import Review, Source

def cache_bytes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts "
                       "WHERE name IN ('CacheMemoryContext', 'index info')")
        return int(cursor.fetchone()[0])

schemas = list(Clinic.objects.values_list("schema_name", flat=True))
before = cache_bytes()
for schema in schemas:
    with schema_context(schema):
        Source.objects.filter(enabled=True).exists()
        Review.objects.filter(rating__lte=2).exists()
connection.set_schema_to_public()
print(json.dumps({"before": before, "after": cache_bytes(), "clinics": len(schemas)}))
"""


def detectors_drain(env: dict, size: int, tmp: Path) -> dict:
    """Fan the detectors out, and time a real worker (2 processes) running every task."""
    log = tmp / f"worker-{size}.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default", "-c", "2",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "INFO",
         "-n", f"bench-{size}@%h"],
        cwd=ROOT,
        env={**env, "CAREWATCH_WORKER_QUEUES": "default", "LOG_JSON": "false", "LOG_LEVEL": "INFO"},
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:])
            time.sleep(0.2)
        warm_up = _detectors_round(env, log, 0)  # the workers' processes load the guard first
        timed = _detectors_round(env, log, warm_up["done"])
        return {**timed, "first_round_s": warm_up["all_clinics_s"]}
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)


def _detectors_round(env: dict, log: Path, done_before: int) -> dict:
    """Fan out once; wait for the worker to finish every task (its log says so)."""
    started = time.perf_counter()
    fanout = django(env, FANOUT)
    done, previous, last_progress = 0, 0, time.monotonic()
    while time.monotonic() - last_progress < 120:  # give up after 2 minutes without progress
        text = log.read_text(errors="replace")
        done = (
            sum(
                1
                for line in text.splitlines()
                if "detectors_run_clinic[" in line and (" succeeded " in line or " raised " in line)
            )
            - done_before
        )
        if done >= fanout["queued"]:
            break
        if done > previous:
            previous, last_progress = done, time.monotonic()
        time.sleep(0.2)
    failed = sum(
        1 for line in log.read_text(errors="replace").splitlines()
        if "detectors_run_clinic[" in line and " raised " in line
    )  # fmt: skip
    return {
        "fanout_s": round(fanout["seconds"], 2),
        "all_clinics_s": round(time.perf_counter() - started, 1),
        "tasks": fanout["queued"],
        "done": done,
        "failed": failed,
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fault_figures() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((HERE / "faults").glob("*.json"))]


def run_faults() -> None:
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/faults", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT, check=False,
    )  # fmt: skip


FAULT_SUMMARY = {
    "kill9_pool_process": lambda f: (
        f"{f['scored']}/{f['reviews']} scored, "
        f"{f['scored_more_than_once']} twice (killed at {f['scored_at_kill']}), "
        f"{f['seconds_to_all_scored']} s"
    ),
    "kill9_whole_worker": lambda f: (
        f"{f['scored']}/{f['reviews']} scored, "
        f"{f['scored_more_than_once']} twice (killed at {f['scored_at_kill']}; sweeper), "
        f"{f['seconds_to_all_scored']} s"
    ),
    "poison_review": lambda f: (
        f"{f['worker_deaths']} worker deaths then parked, "
        f"{f['others_scored']}/{f['batch'] - 1} others scored"
    ),
    "redis_down_30s": lambda f: (
        f"{f['accepted_2xx']}/{f['requests']} accepted, "
        f"{f['stored']} stored, {f['scored_once']} scored once, caught up "
        f"{f['catch_up_after_return_s']} s after return"
    ),
    "postgres_restart": lambda f: (
        f"down {f['down_s']} s: {f['answers_503_with_retry_after']} "
        f"x 503+Retry-After, recovered {f['recovered_after_start_s']} s after start, "
        f"{f['stored']}/{f['accepted']} accepted stored, {f['lost']} lost"
    ),
    "publish_twice": lambda f: f"{f['runs']} runs at once -> {f['posts']} post",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--standard-up-to", type=int, default=100,
                        help="also time django-tenants' standard executor up to this size")  # fmt: skip
    parser.add_argument("--timed", type=int, default=100,
                        help="clinics per size whose creation is timed (a spare ready)")  # fmt: skip
    parser.add_argument("--procs", type=int, default=3, help="processes for the bulk part")
    parser.add_argument("--cloned", type=int, default=10,
                        help="clinics per size created by cloning (no spare ready)")  # fmt: skip
    parser.add_argument("--run-faults", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill, too
    if opts.run_faults:
        run_faults()
    redis = Redis().start()
    env = {
        **os.environ,
        "DATABASE_URL": f"{BASE}/{DB}",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis.port}/1",
        "LOG_LEVEL": "WARNING",
        "CLINIC_SPARE_SCHEMAS": "0",  # the bench refills spares itself, untimed
    }
    tmp = Path(tempfile.mkdtemp(prefix="cw-bench-scale-"))
    rows, have = [], 0
    try:
        reset_db()
        manage(env, "migrate_all")
        for size in sizes:
            print(f"... {size} clinics", flush=True)
            # the first ones in bulk (untimed), then TIMED as users get them (a spare ready),
            # the last CLONED ones by cloning
            cloned = min(opts.cloned, size - have)
            bulk_to = max(have, size - opts.timed - cloned)
            bulk = max(0, bulk_to - have)
            populated_s = populate(env, have, bulk_to, opts.procs) if bulk else 0
            times = django(env, CREATE, str(bulk_to), str(size - cloned), "spare")["times"]
            clone_times = django(env, CREATE, str(size - cloned), str(size), "clone")["times"]
            have = size
            row: dict = {
                "clinics": size,
                "created_timed": len(times) + len(clone_times),
                "created_in_bulk": bulk,
                "bulk_s": round(populated_s, 1),
            }
            if times:
                row |= {
                    "create_p50_s": round(statistics.median(times), 3),
                    "create_p95_s": round(pct(times, 0.95), 3),
                    "create_max_s": round(max(times), 3),
                }
            if clone_times:
                row |= {
                    "create_cloned_p50_s": round(statistics.median(clone_times), 3),
                    "create_cloned_max_s": round(max(clone_times), 3),
                }
            row["migrate_schemas_noop_s"] = round(manage(env, "migrate_schemas", "--noinput"), 1)
            row["migrate_all_noop_s"] = round(manage(env, "migrate_all"), 1)
            if size <= opts.standard_up_to:
                row["migrate_schemas_standard_noop_s"] = round(
                    manage(env, "migrate_schemas", "--noinput", "--executor", "standard"), 1
                )
            with ConnectionSampler() as sampler:
                dispatch = django(env, DISPATCH)
            row |= {
                "dispatch_round_s": round(dispatch["seconds"], 2),
                "dispatch_queued": dispatch["queued"],
                "dispatch_connections": sampler.peak,
            }
            redis.cli("flushall")
            with ConnectionSampler() as sampler:
                detectors = detectors_drain(env, size, tmp)
            row |= {
                "detectors_fanout_s": detectors["fanout_s"],
                "detectors_all_clinics_s": detectors["all_clinics_s"],
                "detectors_first_round_s": detectors["first_round_s"],
                "detectors_tasks_done": detectors["done"],
                "detectors_tasks_failed": detectors["failed"],
                "detectors_connections": sampler.peak,
            }
            redis.cli("flushall")
            cache = django(env, CATALOGUE)
            row["catalogue_cache_mb_after_all_clinics"] = round(cache["after"] / 2**20, 1)
            row["catalogue_cache_mb_fresh"] = round(cache["before"] / 2**20, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if not opts.keep:
            drop_db()

    header = [
        "clinics", "create_p50_s", "create_p95_s", "create_max_s", "create_cloned_p50_s",
        "create_cloned_max_s", "migrate_schemas_noop_s",
        "migrate_schemas_standard_noop_s", "migrate_all_noop_s", "dispatch_round_s",
        "dispatch_connections", "detectors_fanout_s", "detectors_all_clinics_s",
        "detectors_connections", "catalogue_cache_mb_after_all_clinics",
    ]  # fmt: skip
    print()
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        print(" | ".join(str(row.get(h, "-")) for h in header))
    faults = fault_figures()
    print()
    print("fault | figure | measured_at")
    print("--- | --- | ---")
    for fault in faults:
        summary = FAULT_SUMMARY.get(fault["fault"], lambda f: json.dumps(f))(fault)
        print(f"{fault['fault']} | {summary} | {fault['measured_at']}")
    out = HERE / "results.json"
    out.write_text(
        json.dumps(
            {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "targets": TARGETS, "rows": rows, "faults": faults},
            indent=2,
        ) + "\n"
    )  # fmt: skip
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
