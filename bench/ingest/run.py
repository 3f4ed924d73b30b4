"""Ingest throughput: a 10,000-item push through the HTTP API (10 requests of 1,000, the batch
limit) and a 100,000-row CSV import, into one clinic that already holds 100,000 reviews.

Own database (carewatch_bench_ingest) and Redis database 14; gunicorn on 127.0.0.1:8765.
Prints a table and writes bench/ingest/results.json.

    .venv/bin/python bench/ingest/run.py [--existing 100000] [--csv-rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench_ingest"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = "redis://127.0.0.1:6379/14"
ENV = {
    **os.environ,
    "DATABASE_URL": f"{BASE}/{DB}",
    "REDIS_URL": REDIS_URL,
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
}
PORT = 8765
WORDS = [
    "the",
    "staff",
    "were",
    "friendly",
    "but",
    "the",
    "wait",
    "was",
    "long",
    "and",
    "parking",
    "was",
    "hard",
    "to",
    "find;",
    "billing",
    "sorted",
    "my",
    "insurance",
    "quickly",
    "and",
    "the",
    "nurse",
    "explained",
    "everything",
    "clearly",
    "before",
    "the",
    "procedure",
]


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 90)))


def item(rng, n: int, prefix: str) -> dict:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "source": "google",
        "external_id": f"{prefix}-{n}",
        "author": f"User {n % 997}",
        "rating": rng.randint(1, 5),
        "text": text(rng),
        "published_at": at.isoformat(),
        "likes": rng.randint(0, 9),
    }


SETUP = """
import json, random, sys
import django
django.setup()
from django_tenants.utils import schema_context
from feeds.services import ItemIn, reviews_upsert, source_create
from tests.fixtures.tenants import clinic_committed_create
from datetime import datetime, timedelta, UTC
sys.path.insert(0, "bench/ingest")
from run import item
made = clinic_committed_create(
    slug="bench-clinic", name="Bench", agency_slug="bench", api_key_scopes=["read", "write"]
)
clinic = made.clinic
rng = random.Random(1)
existing = int(sys.argv[1])
with schema_context(clinic.schema_name):
    source = source_create(kind="google", name="Google")
    for start in range(0, existing, 5000):
        batch = []
        for n in range(start, min(start + 5000, existing)):
            raw = item(rng, n, "old")
            batch.append(ItemIn(external_id=raw["external_id"], author_name=raw["author"], rating=raw["rating"],
                                text=raw["text"], published_at=datetime.fromisoformat(raw["published_at"]), likes=raw["likes"]))
        reviews_upsert(source=source, items=batch)
from core.maintenance import stale_tables_analyze
stale_tables_analyze()  # what the beat task does every 5 minutes
print(made.api_key)
"""


def reset() -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(*args, **kw):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, **kw)


def push(secret: str, items: list[dict]) -> dict:
    body = json.dumps({"items": items}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/clinics/bench-clinic/api/v1/reviews/ingest/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    args = parser.parse_args()
    reset()
    manage("migrate_all", stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SETUP, str(args.existing)],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    secret = out.stdout.strip().splitlines()[-1]
    prefill_s = time.perf_counter() - started

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "2",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        rng = random.Random(2)
        batches = [
            [item(rng, n, "new") for n in range(b * 1000, (b + 1) * 1000)] for b in range(10)
        ]
        rows = []
        for label in ("10,000 new via API", "same 10,000 again (unchanged)"):
            t = time.perf_counter()
            counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
            for batch in batches:
                for k, v in push(secret, batch)["counts"].items():
                    counts[k] += v
            elapsed = time.perf_counter() - t
            rows.append(
                {
                    "case": label,
                    "items": 10_000,
                    "seconds": round(elapsed, 2),
                    "per_second": round(10_000 / elapsed),
                    **counts,
                }
            )
    finally:
        server.terminate()
        server.wait(10)

    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", delete=False) as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "source",
                "external_id",
                "author",
                "rating",
                "text",
                "published_at",
                "url",
                "likes",
                "shares",
                "replies",
            ]
        )
        for n in range(args.csv_rows):
            raw = item(rng, n, "csv")
            writer.writerow(
                [
                    raw["source"],
                    raw["external_id"],
                    raw["author"],
                    raw["rating"],
                    raw["text"],
                    raw["published_at"],
                    "",
                    raw["likes"],
                    0,
                    0,
                ]
            )
        path = fh.name
    t = time.perf_counter()
    result = manage(
        "import_reviews",
        "--clinic",
        "bench-clinic",
        path,
        "--no-progress",
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t
    os.unlink(path)
    rows.append(
        {
            "case": f"{args.csv_rows:,}-row CSV (command)",
            "items": args.csv_rows,
            "seconds": round(elapsed, 2),
            "per_second": round(args.csv_rows / elapsed),
            "summary": result.stdout.strip(),
        }
    )
    queued = redis.Redis.from_url(REDIS_URL).llen("ml")
    redis.Redis.from_url(REDIS_URL).flushdb()

    print(
        f"prefill: {args.existing:,} reviews in {prefill_s:.1f} s; scoring tasks queued: {queued}"
    )
    print(f"{'case':<34} {'items':>8} {'seconds':>8} {'per s':>8}")
    for row in rows:
        print(f"{row['case']:<34} {row['items']:>8} {row['seconds']:>8} {row['per_second']:>8}")
    result_path = Path(__file__).with_name("results.json")
    result_path.write_text(
        json.dumps(
            {
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "existing_reviews": args.existing,
                "scoring_tasks_queued": queued,
                "target_api_per_second": 5000,
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {result_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
