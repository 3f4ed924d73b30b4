"""Agency dashboard latency with 300 clinics: server time of GET /agency/ (p50 / p95 / max) for
several sorts and pages, measured in-process with Django's test client (DEBUG off), with the
web process's own CPU time per request beside the wall time (the machine is shared), plus the
cost of keeping the rollup fresh (one clinic's refresh; a sweep over every clinic).

Creates its own database (carewatch_bench_admin), an agency with 300 clinics (cloned from the
template schema by clinics.services.clinic_create), ~40 scored reviews and a few incidents per
clinic, fills the snapshots through the real refresh path, measures, then drops the clinics
(rows and schemas) it made. Prints a table, writes bench/admin/results.json.

    .venv/bin/python bench/admin/run.py [--clinics 300] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench_admin"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
os.environ.update(
    {
        "DATABASE_URL": f"{BASE}/{DB}",
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"),
        "CACHE_URL": os.environ.get("BENCH_CACHE", "redis://127.0.0.1:6379/14"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
)
sys.path.insert(0, str(ROOT))


def _prepare_database() -> None:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], capture_output=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--shared", "-v", "0"],
        cwd=ROOT,
        check=True,
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--keep", action="store_true", help="keep the clinics (a rerun then only measures)"
    )
    args = parser.parse_args()

    _prepare_database()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import schema_context

    from agency.models import Agency
    from agency.services import agency_create, agency_member_add
    from clinics.models import Clinic, Domain
    from clinics.services import clinic_create
    from crisis.models import Incident
    from dashboard.models import ClinicSnapshot
    from dashboard.services import clinic_snapshot_refresh
    from dashboard.tasks import clinic_snapshots_sweep_task
    from feeds.models import Review, Source
    from scoring.models import ReviewScore
    from scoring.services import latest_scores_refresh

    rng = random.Random(7)
    agency = Agency.objects.filter(slug="bench-admin").first() or agency_create(
        name="Bench Agency", slug="bench-admin", support_email="bench@admin.test"
    )
    owner = agency_member_add(
        agency=agency, email="owner@bench-admin.test", full_name="Bench Owner", role="owner"
    ).user
    device = TOTPDevice.objects.get_or_create(user=owner, name="bench", confirmed=True)[0]

    reused = Clinic.objects.filter(agency=agency).count()  # left by a run with --keep
    started = time.perf_counter()
    clinics = []
    for i in range(args.clinics):
        clinics.append(
            clinic_create(agency=agency, name=f"Bench clinic {i:03d}", slug=f"bench-adm-{i:03d}")
        )
    create_s = time.perf_counter() - started

    now = timezone.now()
    started = time.perf_counter()
    for n, clinic in enumerate(clinics):
        with schema_context(clinic.schema_name):
            if Review.objects.exists():
                continue
            source = Source.objects.create(kind="google", name="Google", enabled=False)
            reviews = Review.objects.bulk_create(
                [
                    Review(
                        source=source,
                        external_id=f"r{j}",
                        rating=rng.randint(1, 5),
                        text="A bench review",
                        published_at=now - timedelta(hours=rng.uniform(0, 24 * 20)),
                        status=rng.choice(["new", "new", "needs_reply", "replied", "ignored"]),
                    )
                    for j in range(40)
                ]
            )
            ReviewScore.objects.bulk_create(
                [
                    ReviewScore(
                        review=r,
                        model_version="bench",
                        label=label,
                        score={"negative": -0.7, "neutral": 0.0, "positive": 0.7}[label],
                    )
                    for r in reviews
                    for label in [["negative", "neutral", "positive"][(r.rating - 1) // 2]]
                ]
            )
            # each review's latest score stored, as scores_write leaves it (scoring.LatestScore)
            latest_scores_refresh(review_ids=[r.pk for r in reviews])
            if n % 7 == 0:
                Incident.objects.create(
                    kind="surge",
                    title=f"Surge {n}",
                    severity=rng.choice(["medium", "high", "critical"]),
                    opened_at=now,
                    last_detected_at=now,
                )
    seed_s = time.perf_counter() - started

    refresh_times = []
    for clinic in clinics:
        t0 = time.perf_counter()
        clinic_snapshot_refresh(clinic=clinic)
        refresh_times.append((time.perf_counter() - t0) * 1000)
    ClinicSnapshot.objects.filter(agency=agency).update(refreshed_at=now - timedelta(hours=1))
    t0 = time.perf_counter()
    swept = clinic_snapshots_sweep_task(limit=1000)
    sweep_s = time.perf_counter() - t0

    connection.set_schema_to_public()
    client = Client()
    client.force_login(owner)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    cases = [
        ("default sort (most urgent first), page 1", {}),
        ("needs attention, most urgent first", {"status": "attention"}),
        ("sort by name", {"sort": "name"}),
        ("sort by SLA breaches", {"sort": "-sla"}),
        ("sort by rating, page 3", {"sort": "rating", "page": "3"}),
        ("search by name", {"q": "clinic 12"}),
    ]
    rows = []
    for label, params in cases:
        response = client.get("/agency/", params)
        assert response.status_code == 200, response.status_code
        times, cpu = [], []
        for _ in range(args.requests):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get("/agency/", params)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200
        rows.append(
            {
                "case": label,
                "requests": args.requests,
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(_pct(times, 0.95), 2),
                "max_ms": round(max(times), 2),
                "web_cpu_p50_ms": round(statistics.median(cpu), 2),
                "web_cpu_p95_ms": round(_pct(cpu, 0.95), 2),
                "bytes": len(response.content),
            }
        )

    load_average = [round(x, 2) for x in os.getloadavg()]
    # clean up: the clinics' rows, domains, snapshots and schemas
    started = time.perf_counter()
    for clinic in [] if args.keep else clinics:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{clinic.schema_name}" CASCADE')
    ids = [] if args.keep else [c.pk for c in clinics]
    ClinicSnapshot.objects.filter(clinic_id__in=ids).delete()
    Domain.objects.filter(tenant_id__in=ids).delete()
    Clinic.objects.filter(pk__in=ids).delete()
    drop_s = time.perf_counter() - started

    result = {
        "clinics": args.clinics,
        "reviews_per_clinic": 40,
        "target": "dashboard p95 well under 200 ms",
        "setup": {
            "clinics_reused": reused,
            "clinic_create_s_each": round(create_s / max(args.clinics - reused, 1), 3)
            if reused < args.clinics
            else None,
            "seed_s": round(seed_s, 1),
            "drop_s": round(drop_s, 1),
        },
        "refresh_one_clinic_ms": {
            "p50": round(statistics.median(refresh_times), 2),
            "p95": round(_pct(refresh_times, 0.95), 2),
        },
        "sweep_all_s": round(sweep_s, 2),
        "load_average_1_5_15": load_average,
        "cpus": os.cpu_count(),
        "swept": swept,
        "dashboard": rows,
    }
    print(f"\nAgency dashboard, {args.clinics} clinics, {args.requests} requests per case")
    print(
        f"{'case':<26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu p50':>9}{'cpu p95':>9}{'KiB':>6}"
    )
    for row in rows:
        print(
            f"{row['case']:<26}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
            f"{row['web_cpu_p50_ms']:>9}{row['web_cpu_p95_ms']:>9}{row['bytes'] / 1024:>6.0f}"
        )
    print("(ms of wall time per request; cpu = the web process's own CPU time, without the")
    print(" database's, which a loaded shared machine does not inflate)")
    print(
        f"\nrefresh of one clinic's row: p50 {result['refresh_one_clinic_ms']['p50']} ms, "
        f"p95 {result['refresh_one_clinic_ms']['p95']} ms; sweep of {swept} stale rows: "
        f"{sweep_s:.1f} s; clinic_create {result['setup']['clinic_create_s_each']} s each "
        f"({reused} clinics reused)"
    )
    out = ROOT / "bench" / "admin" / "results.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average {load_average} on {os.cpu_count()} CPUs (shared machine)")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
