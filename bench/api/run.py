"""API latency: p50 / p95 / p99 and errors for review list and detail endpoints, with 100,000
reviews in one clinic and 20 concurrent closed-loop clients on loopback (keep-alive connections,
spread over 4 client processes; gunicorn with config/gunicorn.py: 2 workers per core x 1 thread,
the production defaults, and JSON access lines as in production). A 5 s warm-up runs first.

Own database (carewatch_bench_api, built on first run or with --rebuild): one clinic with
100,000 reviews over ~70 days from two sources, every review scored (label, topics, flags) as
the ml worker leaves them. Prints a table, writes bench/api/results.json.

    .venv/bin/python bench/api/run.py [--seconds 20] [--clients 20] [--rebuild]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import runpy
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench_api"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ENV = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "REDIS_URL": "redis://127.0.0.1:6379/14",
       "CACHE_URL": "redis://127.0.0.1:6379/14", "LOG_LEVEL": "WARNING", "DEBUG": "false",
       "ALLOWED_HOSTS": "127.0.0.1", "API_RATE_LIMIT": "100000/min", "LOG_JSON": "1",
       "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
PORT = 8766

SETUP = """
import random, sys
import django
django.setup()
from datetime import UTC, datetime, timedelta
from django.db import connection
from django_tenants.utils import schema_context
from feeds.models import Review
from feeds.services import ItemIn, reviews_upsert, source_create
from scoring.services import latest_scores_refresh
from tests.fixtures.tenants import clinic_committed_create
sys.path.insert(0, "bench/ingest")
from run import text
clinic = clinic_committed_create(slug="bench-clinic", name="Bench", agency_slug="bench").clinic
rng = random.Random(1)
total = int(sys.argv[1])
start = datetime(2026, 1, 1, tzinfo=UTC)
with schema_context(clinic.schema_name):
    sources = [source_create(kind="google", name="Google"), source_create(kind="facebook", name="Facebook")]
    for first in range(0, total, 5000):
        batches = {s.pk: [] for s in sources}
        for n in range(first, min(first + 5000, total)):
            source = sources[0] if n % 4 else sources[1]
            batches[source.pk].append(ItemIn(
                external_id=f"r-{n}", author_name=f"User {n % 997}", rating=rng.randint(1, 5),
                text=text(rng), published_at=start + timedelta(minutes=n), likes=rng.randint(0, 9)))
        for source in sources:
            reviews_upsert(source=source, items=batches[source.pk])
    with connection.cursor() as cursor:
        # Every review scored, as the ml worker leaves them (label from the rating, a topic and
        # sometimes a risk flag), so that the list pays for its score lookup as in production.
        cursor.execute(\"\"\"
            INSERT INTO scoring_reviewscore
                (review_id, model_version, label, score, confidence, topics, flags, created_at)
            SELECT id, 'sentiment-1.1.0',
                   CASE WHEN rating <= 2 THEN 'negative' WHEN rating = 3 THEN 'neutral' ELSE 'positive' END,
                   (rating - 3) / 2.0 * 0.9, 0.9,
                   CASE WHEN id % 3 = 0 THEN '[{"name": "wait_time", "triggers": ["wait"]}]'::jsonb
                        WHEN id % 3 = 1 THEN '[{"name": "billing", "triggers": ["billing", "insurance"]}]'::jsonb
                        ELSE '[]'::jsonb END,
                   CASE WHEN id % 50 = 0 THEN '[{"name": "legal_threat", "evidence": ["lawyer"], "probability": 0.81}]'::jsonb
                        ELSE '[]'::jsonb END,
                   published_at + interval '2 minutes'
            FROM feeds_review\"\"\")
    # each review's latest score stored, as scores_write leaves it (scoring.LatestScore): the
    # topic and flag filters read it
    latest_scores_refresh(review_ids=list(Review.objects.values_list("id", flat=True)))
from core.maintenance import stale_tables_analyze
stale_tables_analyze()  # what the beat task does every 5 minutes
"""

KEY = """
import django
django.setup()
from accounts.credentials import api_key_create
from clinics.models import Clinic
from django_tenants.utils import schema_context
from feeds.models import Review
clinic = Clinic.objects.get(slug="bench-clinic")
_, issued = api_key_create(agency=clinic.agency, clinic=clinic, name="api-bench", scopes=["read"])
with schema_context(clinic.schema_name):
    ids = list(Review.objects.order_by("?").values_list("id", flat=True)[:2000])
    total = Review.objects.count()
print(issued.secret)
print(total)
print(",".join(map(str, ids)))
"""


def _client_process(port, secret, paths, seconds, threads, seed, out) -> None:
    """One load process: `threads` closed-loop clients, each on its own keep-alive connection
    (as an integrator's HTTP library would be). Several processes, so the clients' own Python
    does not serialise on one GIL and inflate the latencies they measure."""
    timings: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {secret}"}

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            path = rng.choice(paths)
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            timings.append((time.perf_counter() - t) * 1000)
            if not ok:
                errors[0] += 1
        conn.close()

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((timings, errors[0]))


def _walk_cursors(secret: str, base: str, *, pages: int) -> list[str]:
    """The `next` links of the first `pages` pages: requests for pages deep in the history."""
    links, url = [], f"http://127.0.0.1:{PORT}{base}"
    for _ in range(pages):
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            url = json.load(response)["next"]
        links.append(url.removeprefix(f"http://127.0.0.1:{PORT}"))
    return links


def _measure(secret: str, paths: list[str], seconds: float, args) -> tuple[list[float], int]:
    """`args.clients` closed-loop clients in `args.client_processes` processes, each picking a
    random path of `paths` for every request, for `seconds`: every latency (ms), and errors."""
    per_process = [args.clients // args.client_processes + (1 if i < args.clients % args.client_processes else 0)
                   for i in range(args.client_processes)]  # fmt: skip
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_client_process, args=(PORT, secret, paths, seconds, n, seed, queue))
             for seed, n in enumerate(per_process) if n]  # fmt: skip
    for proc in procs:
        proc.start()
    timings: list[float] = []
    errors = 0
    for _ in procs:
        got, errs = queue.get()
        timings += got
        errors += errs
    for proc in procs:
        proc.join()
    return timings, errors


def _ensure_database(reviews: int, *, rebuild: bool) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if exists and not rebuild:
            return
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()
    t = time.monotonic()
    print(f"building {DB}: {reviews:,} scored reviews ...", flush=True)
    subprocess.run([sys.executable, "manage.py", "migrate_all"], cwd=ROOT, env=ENV, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([sys.executable, "-c", SETUP, str(reviews)], cwd=ROOT, env=ENV, check=True)
    print(f"built in {time.monotonic() - t:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=4)
    config = runpy.run_path(str(ROOT / "config/gunicorn.py"))
    parser.add_argument(
        "--workers",
        type=int,
        default=config["workers"],
        help="gunicorn worker processes (default: config/gunicorn.py's)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=config["threads"],
        help="threads per gunicorn worker (default: config/gunicorn.py's)",
    )
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load first")
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument(
        "--rebuild", action="store_true", help="drop and rebuild the bench database"
    )
    args = parser.parse_args()
    _ensure_database(args.reviews, rebuild=args.rebuild)
    out = subprocess.run([sys.executable, "-c", KEY], cwd=ROOT, env=ENV, check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()  # fmt: skip
    secret, total, ids = out[-3], int(out[-2]), [int(i) for i in out[-1].split(",")]
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-c", "config/gunicorn.py",
         "-b", f"127.0.0.1:{PORT}", "-w", str(args.workers), "--threads", str(args.threads),
         "--timeout", "60", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = "/clinics/bench-clinic/api/v1/reviews/"
    cases = {
        "list (newest, page 1)": [base],
        "list (rating=1)": [base + "?rating=1"],
        "list (source + date range)": [
            base + "?source=google&published_from=2026-01-20T00:00:00Z"
            "&published_to=2026-02-10T00:00:00Z"
        ],
        "list (deep pages, cursors)": [],  # filled below: 200 `next` links walked from page 1
        "detail": [f"{base}{i}/" for i in ids],
    }
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers (degraded is fine here)
            except OSError:
                time.sleep(0.2)
        cases["list (deep pages, cursors)"] = _walk_cursors(secret, base, pages=200)
        # Warm-up, not measured: every worker has finished starting and served each case.
        _measure(secret, [p for paths in cases.values() for p in paths], args.warmup, args)
        load = os.getloadavg()[0]
        rows = []
        for name, paths in cases.items():
            timings, errors = _measure(secret, paths, args.seconds, args)
            q = statistics.quantiles(timings, n=100)
            rows.append({"endpoint": name, "requests": len(timings), "errors": errors,
                         "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
                         "rps": round(len(timings) / args.seconds)})  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"{total:,} reviews in the clinic; {args.clients} concurrent keep-alive clients in "
        f"{args.client_processes} processes, {args.seconds:.0f} s per endpoint; gunicorn "
        f"{args.workers} workers x {args.threads} threads; load average before: {load:.2f}"
    )
    print(
        f"{'endpoint':<28} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}"
    )
    for r in rows:
        print(f"{r['endpoint']:<28} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['p99_ms']:>7} {r['rps']:>6}")  # fmt: skip
    path = Path(__file__).with_name("results.json")
    path.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "reviews": total,
                                "clients": args.clients, "client_processes": args.client_processes,
                                "gunicorn": {"workers": args.workers, "threads": args.threads},
                                "load_average_before": round(load, 2),
                                "target_p95_ms": 100, "rows": rows}, indent=2))  # fmt: skip
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
