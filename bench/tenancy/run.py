"""Clinic creation time and no-op migration time, for 3 and 100 clinics.

Uses its own database (carewatch_bench, dropped and created anew). Prints a table and writes
bench/tenancy/results.json.

    .venv/bin/python bench/tenancy/run.py [--sizes 3,100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ENV = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "LOG_LEVEL": "WARNING"}


def sh(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def reset_db() -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


CREATE = """
import json, sys, time
import django
django.setup()
from agency.services import agency_create
from clinics.services import clinic_create
from agency.models import Agency
agency = Agency.objects.filter(slug="bench").first() or agency_create(
    name="Bench", slug="bench", support_email="bench@example.com")
start, stop = int(sys.argv[1]), int(sys.argv[2])
times = []
for i in range(start, stop):
    t = time.perf_counter()
    clinic_create(agency=agency, name=f"Bench {i}", slug=f"bench-{i:04d}")
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def create(start: int, stop: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", CREATE, str(start), str(stop)],
        cwd=ROOT,
        env={**ENV, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3,100")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    reset_db()
    sh("migrate_all")
    rows, have = [], 0
    for size in sizes:
        times = create(have, size) if size > have else []
        have = max(have, size)
        rows.append(
            {
                "clinics": size,
                "created_now": len(times),
                "create_p50_s": round(statistics.median(times), 3) if times else None,
                "create_max_s": round(max(times), 3) if times else None,
                "migrate_schemas_noop_s": round(sh("migrate_schemas", "--noinput"), 2),
                "migrate_all_noop_s": round(sh("migrate_all"), 2),
            }
        )
    header = [
        "clinics",
        "created_now",
        "create_p50_s",
        "create_max_s",
        "migrate_schemas_noop_s",
        "migrate_all_noop_s",
    ]
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    out = Path(__file__).with_name("results.json")
    out.write_text(
        json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}, indent=2)
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
