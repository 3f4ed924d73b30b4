"""API latency: p50 / p95 / p99 and errors for review list and detail endpoints, with 100,000
reviews in one clinic and 20 concurrent clients on loopback (gunicorn, 3 workers x 4 threads).

Uses the database left by bench/ingest/run.py (carewatch_bench_ingest: one clinic with
>= 100,000 reviews); run that first. Prints a table, writes bench/api/results.json.

    .venv/bin/python bench/api/run.py [--seconds 20] [--clients 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench_ingest"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ENV = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "REDIS_URL": "redis://127.0.0.1:6379/14",
       "CACHE_URL": "redis://127.0.0.1:6379/14", "LOG_LEVEL": "WARNING", "DEBUG": "false",
       "ALLOWED_HOSTS": "127.0.0.1", "API_RATE_LIMIT": "100000/min",
       "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
PORT = 8766

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    out = subprocess.run([sys.executable, "-c", KEY], cwd=ROOT, env=ENV, check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()  # fmt: skip
    secret, total, ids = out[-3], int(out[-2]), [int(i) for i in out[-1].split(",")]
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "3",
         "--threads", "4", "--timeout", "60"],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}/clinics/bench-clinic/api/v1/reviews/"
    cases = {
        "list (newest, page 1)": lambda r: base,
        "list (rating=1, page 3)": lambda r: base + "?rating=1&page=3",
        "list (source + date range)": lambda r: (
            base + "?source=google&published_from=2026-01-20T00:00:00Z"
            "&published_to=2026-02-10T00:00:00Z"
        ),
        "detail": lambda r: f"{base}{r.choice(ids)}/",
    }
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        rows = []
        for name, make_url in cases.items():
            timings: list[float] = []
            errors = [0]
            stop = time.monotonic() + args.seconds

            def client(
                seed: int, make_url=make_url, timings=timings, errors=errors, stop=stop
            ) -> None:
                rng = random.Random(seed)
                while time.monotonic() < stop:
                    request = urllib.request.Request(
                        make_url(rng), headers={"Authorization": f"Bearer {secret}"}
                    )
                    t = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                            response.read()
                            ok = response.status == 200
                    except (urllib.error.URLError, OSError):
                        ok = False
                    timings.append((time.perf_counter() - t) * 1000)
                    if not ok:
                        errors[0] += 1

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            q = statistics.quantiles(timings, n=100)
            rows.append({"endpoint": name, "requests": len(timings), "errors": errors[0],
                         "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
                         "rps": round(len(timings) / args.seconds)})  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"{total:,} reviews in the clinic; {args.clients} concurrent clients, {args.seconds:.0f} s per endpoint"
    )
    print(
        f"{'endpoint':<28} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}"
    )
    for r in rows:
        print(f"{r['endpoint']:<28} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>7} {r['p95_ms']:>7} "
              f"{r['p99_ms']:>7} {r['rps']:>6}")  # fmt: skip
    path = Path(__file__).with_name("results.json")
    path.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "reviews": total,
                                "clients": args.clients, "target_p95_ms": 100, "rows": rows}, indent=2))  # fmt: skip
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
