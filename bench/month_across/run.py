"""The agency's "Month across clinics" with 40 and 100 clinics: server time of the page
(/agency/reports/month/), its CSV (?format=csv) and the API (GET /api/v1/reports/months/, a page
of 100), p50 / max, with the process's own CPU time and the queries of each answer (one
statement a clinic, one for every clinic's reply target, beside the page's own few).

Uses its own database (carewatch_bench_months, made fresh and dropped after): an agency whose
clinics (cloned from the template schema by clinics.services.clinic_create, in three time zones)
each hold ~150 items of the month before and the month measured, scored, a third answered
through the agency, and two incidents. Prints a table, writes bench/month_across/results.json.

    BENCH_REDIS=redis://127.0.0.1:6379/13 .venv/bin/python bench/month_across/run.py \
        [--sizes 40,100] [--requests 15]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.benchdb import (  # noqa: E402
    bench_environ,
    django_on_fresh_db,
    drop_db,
    staff_client,
)

ZONES = ("America/New_York", "Europe/London", "Asia/Tokyo")
ITEMS_PER_CLINIC = 150


def _fill(clinic, month_start: datetime, rng: random.Random) -> None:
    from django_tenants.utils import schema_context

    from crisis.models import Incident
    from feeds.models import Review, Source
    from responses.models import ApprovalStatus, ReplyDraft
    from scoring.models import ReviewScore
    from scoring.services import latest_scores_refresh

    span = timedelta(days=61)
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind="csv", name="Bench")
        reviews = Review.objects.bulk_create(
            Review(
                source=source,
                external_id=f"b{n}",
                rating=rng.choice([1, 2, 3, 4, 5, None]),
                text="bench",
                published_at=month_start - timedelta(days=30) + rng.random() * span,
            )  # fmt: skip
            for n in range(ITEMS_PER_CLINIC)
        )
        labels = [("negative", -0.6), ("neutral", 0.0), ("positive", 0.7)]
        ReviewScore.objects.bulk_create(
            ReviewScore(review=r, model_version="bench", label=label, score=score)
            for r in reviews
            for label, score in [rng.choice(labels)]
        )
        latest_scores_refresh(review_ids=[r.pk for r in reviews])
        ReplyDraft.objects.bulk_create(
            ReplyDraft(
                review=r,
                status=ApprovalStatus.PUBLISHED,
                author_label="system:bench",
                published_at=r.published_at + timedelta(minutes=rng.randint(10, 900)),
            )  # fmt: skip
            for r in reviews[::3]
        )
        for n in range(2):
            at = month_start + timedelta(days=3 + 10 * n)
            Incident.objects.create(
                kind="surge", key=f"bench-{n}", title="Bench surge", severity="high",
                trigger={}, opened_at=at, last_detected_at=at, status="resolved",
            )  # fmt: skip


def _timed(get, n: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus = [], []
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            t0, c0 = time.perf_counter(), time.process_time()
            response = get()
            body = b"".join(response.streaming_content) if response.streaming else response.content
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        assert response.status_code == 200, response.status_code
    return {
        "wall_s_p50": round(statistics.median(walls), 3),
        "wall_s_max": round(max(walls), 3),
        "cpu_s_p50": round(statistics.median(cpus), 3),
        "queries": len(captured),
        "kb": round(len(body) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="40,100")
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    base, db = bench_environ("carewatch_bench_months")
    django_on_fresh_db(base, db)
    from agency.services import agency_create, agency_member_add
    from clinics.services import clinic_create

    rng = random.Random(7)
    agency = agency_create(name="Bench", slug="bench", support_email="bench@example.com")
    analyst = agency_member_add(
        agency=agency, email="analyst@bench.test", full_name="Bench Analyst", role="analyst",
        password="correct horse battery staple",
    ).user  # fmt: skip
    client = staff_client(analyst)
    now = datetime.now(UTC)
    month_start = (now.replace(day=1) - timedelta(days=1)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    month = f"{month_start:%Y-%m}"
    rows, made = [], 0
    try:
        for size in sizes:
            started = time.perf_counter()
            while made < size:
                clinic = clinic_create(
                    agency=agency, name=f"Bench {made:03d}", slug=f"bench-{made:03d}",
                    timezone=ZONES[made % len(ZONES)],
                )  # fmt: skip
                _fill(clinic, month_start, rng)
                made += 1
            setup_s = round(time.perf_counter() - started, 1)
            for what, path in (
                ("page", f"/agency/reports/month/?month={month}"),
                ("csv", f"/agency/reports/month/?month={month}&format=csv"),
                ("api", f"/api/v1/reports/months/?month={month}&page_size=100"),
            ):
                figures = _timed(lambda path=path: client.get(path), args.requests)
                rows.append({"clinics": size, "answer": what, **figures, "setup_s": setup_s})
    finally:
        from django.db import connections

        connections.close_all()
        drop_db(base, db)

    header = f"{'clinics':>7} {'answer':<6} {'p50 s':>7} {'max s':>7} {'cpu s':>7} {'queries':>7} {'kB':>5}"
    print(header)
    for r in rows:
        print(
            f"{r['clinics']:>7} {r['answer']:<6} {r['wall_s_p50']:>7} {r['wall_s_max']:>7} "
            f"{r['cpu_s_p50']:>7} {r['queries']:>7} {r['kb']:>5}"
        )
    out = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "items_per_clinic": ITEMS_PER_CLINIC,
        "requests": args.requests,
        "rows": rows,
    }
    path = ROOT / "bench" / "month_across" / "results.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
