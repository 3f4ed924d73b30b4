"""End to end: 10,000 ingested reviews until all are scored, with 1 and 2 `ml` worker
processes (real Celery workers, real PostgreSQL and Redis). Texts: the held-out reviews in
../shared/data (repeated to 10,000). Prints a table, writes bench/sentiment/e2e.json.

The machine is shared: the load average is recorded, and so is the CPU time the worker's pool
processes spent (reviews per worker CPU-second = what a dedicated core would do).
BENCH_DB / BENCH_REDIS choose the database and Redis db it may wipe.

    .venv/bin/python bench/sentiment/e2e.py [--reviews 10000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DB = os.environ.get("BENCH_DB", "carewatch_bench_e2e")
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
ENV = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "REDIS_URL": REDIS_URL, "CACHE_URL": REDIS_URL,
       "LOG_LEVEL": "INFO", "DJANGO_SETTINGS_MODULE": "config.settings", "CAREWATCH_WORKER_QUEUES": "ml"}  # fmt: skip

SETUP = """
import django
django.setup()
from agency.services import agency_create
from clinics.services import clinic_create
agency = agency_create(name="Bench", slug="bench", support_email="b@example.com")
clinic_create(agency=agency, name="Bench", slug="bench-clinic")
"""

PUSH = """
import json, sys, time
import django
django.setup()
from django.conf import settings
from django_tenants.utils import schema_context
from feeds.services import items_ingest
from scoring.ml.data import sentiment_heldout
n, run = int(sys.argv[1]), sys.argv[2]
texts = [e.text for rows in sentiment_heldout(settings.DATA_DIR).values() for e in rows]
items = [{"source": "api", "external_id": f"{run}-{i}", "rating": 1 + i % 5, "text": texts[i % len(texts)],
          "published_at": "2026-11-01T10:00:00Z"} for i in range(n)]
started = time.time()
with schema_context("clinic_bench_clinic"):
    for start in range(0, n, 1000):
        items_ingest(raw_items=items[start:start + 1000])
print(json.dumps({"started": started, "pushed": time.time()}))
"""


def scored(run: str) -> int:
    with psycopg.connect(f"{BASE}/{DB}") as conn:
        return conn.execute(
            "SELECT count(*) FROM clinic_bench_clinic.scoring_reviewscore s "
            "JOIN clinic_bench_clinic.feeds_review r ON r.id = s.review_id WHERE r.external_id LIKE %s",
            [f"{run}-%"],
        ).fetchone()[0]


def rss_mb(pid: int) -> float:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for child in out:
        with open(f"/proc/{child}/status") as fh:
            total = max(
                total, next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
            )
    return round(total / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of the worker's pool processes."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for child in out:
        with open(f"/proc/{child}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (after pid and comm)
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_all"],
        cwd=ROOT,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=ENV, check=True)
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        log = open(f"/tmp/bench-e2e-{workers}.log", "w")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "ml", "-c", str(workers), "-l", "INFO",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.time() + 180
            while "ready." not in Path(log.name).read_text():
                if worker.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"worker did not start; see {log.name}")
                time.sleep(0.2)
            time.sleep(3)  # children load the model
            run = f"w{workers}"
            cpu_before, load_before = cpu_seconds(worker.pid), os.getloadavg()[0]
            out = subprocess.run([sys.executable, "-c", PUSH, str(args.reviews), run], cwd=ROOT, env=ENV, check=True,
                                 capture_output=True, text=True)  # fmt: skip
            times = json.loads(out.stdout.strip().splitlines()[-1])
            while scored(run) < args.reviews:
                if time.time() - times["started"] > 1800:
                    break
                time.sleep(0.5)
            done = time.time()
            cpu = cpu_seconds(worker.pid) - cpu_before
            total = scored(run)
            rows.append({"worker_processes": workers, "reviews": args.reviews, "scored": total,
                         "ingest_seconds": round(times["pushed"] - times["started"], 1),
                         "until_all_scored_seconds": round(done - times["started"], 1),
                         "reviews_per_second": round(total / (done - times["started"]), 1),
                         "worker_rss_mb_max_child": rss_mb(worker.pid),
                         "worker_cpu_seconds": round(cpu, 1),
                         "reviews_per_worker_cpu_second": round(total / cpu, 1) if cpu else None,
                         "load_average_1m_before": round(load_before, 2),
                         "load_average_1m_after": round(os.getloadavg()[0], 2)})  # fmt: skip
        finally:
            os.killpg(worker.pid, 15)
            worker.wait(30)
    print(
        f"{'workers':>7} {'reviews':>8} {'ingest s':>9} {'all scored s':>13} {'reviews/s':>10} {'RSS MB':>7} "
        f"{'per worker CPU-s':>17} {'load before/after':>18}"
    )
    for r in rows:
        print(f"{r['worker_processes']:>7} {r['scored']:>8} {r['ingest_seconds']:>9} {r['until_all_scored_seconds']:>13} "
              f"{r['reviews_per_second']:>10} {r['worker_rss_mb_max_child']:>7} {r['reviews_per_worker_cpu_second']:>17} "
              f"{r['load_average_1m_before']:>9}/{r['load_average_1m_after']:<8}")  # fmt: skip
    path = Path(__file__).with_name("e2e.json")
    path.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "target_per_second_1_worker": 150,
                                "cpus": os.cpu_count(),
                                "rows": rows}, indent=2))  # fmt: skip
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
