"""Crisis detection: (a) what one detectors run costs per clinic, measured over many clinic
schemas of realistic volume and projected to 1,000 clinics; (b) the latency from accepting the
review that crosses the surge threshold to the incident and its notification, with a real
Celery worker running (target p95 <= 30 s).

Own database (carewatch_bench_detect, dropped and created anew) and Redis database 11.
Prints a table and writes bench/detect/results.json.

    .venv/bin/python bench/detect/run.py [--clinics 50] [--per-day 30] [--trials 20]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DB = "carewatch_bench_detect"
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = "redis://127.0.0.1:6379/11"
ENV = {
    **os.environ,
    "DATABASE_URL": f"{BASE}/{DB}",
    "REDIS_URL": REDIS_URL,
    "CACHE_URL": REDIS_URL,
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "CAREWATCH_WORKER_QUEUES": "default,ml",
}
HOURLY = [0.2] * 7 + [1.0] * 12 + [0.5] * 5
TEXTS = {
    "negative": [
        "Waited two hours and nobody told us why",
        "Billing charged me twice, still not fixed",
        "Receptionist was rude on the phone",
    ],
    "neutral": ["Parking is behind the building", "Appointment moved to Tuesday"],
    "positive": ["Kind nurse and a quick visit", "Dr. Smith explained everything", "Great care"],
}
CLAIM = "I heard the clinic reuses needles on kids, spread the word"


def reset() -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def fill(*, per_day: float, days: int, end, seed: int) -> int:
    """Reviews and mentions with scores for `days` before `end`, in the current schema:
    a daily and weekly rhythm, a fifth negative, a fifth social mentions with engagement, a few
    flagged as misinformation."""
    from django.db.models import F

    from feeds.models import Review, Source
    from scoring.models import ReviewScore
    from scoring.services import latest_scores_refresh

    rng = random.Random(seed)
    google = Source.objects.create(kind="google", name="Google")
    facebook = Source.objects.create(kind="facebook", name="Facebook")
    scale = per_day / sum(HOURLY)
    reviews, scores = [], []
    t = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    n = 0
    while t < end:
        weekly = 1.2 if t.weekday() < 5 else 0.6
        for _ in range(_poisson(rng, HOURLY[t.hour] * scale * weekly)):
            at = t + timedelta(seconds=rng.randrange(3600))
            if at >= end:
                continue
            roll = rng.random()
            label = "negative" if roll < 0.2 else "neutral" if roll < 0.35 else "positive"
            mention = rng.random() < 0.2
            n += 1
            flagged = mention and label == "negative" and rng.random() < 0.1
            reviews.append(
                Review(
                    source=facebook if mention else google,
                    external_id=f"b{n}",
                    kind="mention" if mention else "review",
                    rating=None if mention else {"negative": 1, "neutral": 3, "positive": 5}[label],
                    text=CLAIM if flagged else rng.choice(TEXTS[label]),
                    published_at=at,
                    likes=rng.randrange(40) if mention else 0,
                    shares=rng.randrange(5) if mention else 0,
                )
            )
            scores.append(
                (
                    label,
                    [{"name": "misinformation", "evidence": ["needles"], "probability": 0.8}]
                    if flagged
                    else [],
                )
            )
        t += timedelta(hours=1)
    made = Review.objects.bulk_create(reviews, batch_size=5000)
    ReviewScore.objects.bulk_create(
        [
            ReviewScore(
                review=r,
                model_version="bench",
                label=label,
                score={"negative": -0.7, "neutral": 0.0, "positive": 0.7}[label],
                flags=flags,
            )
            for r, (label, flags) in zip(made, scores, strict=True)
        ],
        batch_size=5000,
    )
    latest_scores_refresh(review_ids=[r.pk for r in made])  # as scores_write keeps it
    Review.objects.update(updated_at=F("published_at"))
    return len(made)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def cost(args) -> dict:
    """(a): detectors over many schemas."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.actors import Actor
    from crisis import tasks
    from crisis.services import detector_settings_update, detectors_run
    from tests.fixtures.tenants import clinic_committed_create

    agency = None
    now = timezone.now()
    clinics, items = [], []
    started = time.perf_counter()
    for i in range(args.clinics + 1):
        busy = i == args.clinics
        made = clinic_committed_create(
            name=f"Bench {i}",
            slug="bench-busy" if busy else f"bench-{i:04d}",
            agency=agency,
            agency_slug="bench",
        )
        agency, clinic = made.agency, made.clinic
        with schema_context(clinic.schema_name):
            detector_settings_update(
                actor=Actor.of_system("bench", "Benchmark"),
                watch_words=["outbreak", "lawsuit", "Dr. Lee"],
            )
            items.append(
                fill(per_day=args.busy_per_day if busy else args.per_day, days=56, end=now, seed=i)
            )
        clinics.append(clinic)
    fill_s = time.perf_counter() - started
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    regular, busy_clinic = clinics[:-1], clinics[-1]

    def sweep(targets) -> list[float]:
        out = []
        for clinic in targets:
            with schema_context(clinic.schema_name):
                t = time.perf_counter()
                detectors_run(notify=False)
                out.append((time.perf_counter() - t) * 1000)
        connection.set_schema_to_public()
        return out

    cold = sweep(regular)
    warm = sweep(regular) + sweep(regular)
    busy = sweep([busy_clinic]) + sweep([busy_clinic]) + sweep([busy_clinic])
    # the beat tasks' own cost: queueing one task per clinic, and the escalation check
    tasks.detectors_run_all_task()  # the first publish opens the broker connection
    t = time.perf_counter()
    queued = tasks.detectors_run_all_task()
    dispatch_ms = (time.perf_counter() - t) * 1000 / queued
    redis.Redis.from_url(REDIS_URL).flushdb()
    t = time.perf_counter()
    tasks.escalations_check_task()
    escalation_ms = (time.perf_counter() - t) * 1000 / queued
    mean = statistics.fmean(warm)
    return {
        "clinics": args.clinics,
        "items_per_clinic_mean": round(statistics.fmean(items[:-1])),
        "per_day": args.per_day,
        "history_days": 56,
        "fill_seconds": round(fill_s, 1),
        "ms_per_clinic": {
            "cold_mean": round(statistics.fmean(cold), 1),
            "warm_mean": round(mean, 1),
            "warm_median": round(statistics.median(warm), 1),
            "warm_p95": round(pct(warm, 0.95), 1),
        },
        "busy_clinic": {
            "per_day": args.busy_per_day,
            "items": items[-1],
            "ms": round(statistics.fmean(busy[1:]), 1),
        },
        "projected_1000_clinics": {
            "worker_seconds_per_sweep": round(mean, 1),  # ms per clinic × 1,000 = seconds
            "wall_seconds_with_4_workers": round(mean / 4, 1),
            "dispatch_seconds": round(dispatch_ms, 2),
            "escalation_check_seconds": round(escalation_ms, 2),
        },
        "dispatch_ms_per_clinic": round(dispatch_ms, 2),
        "escalation_check_ms_per_clinic": round(escalation_ms, 2),
    }


def latency(args) -> dict:
    """(b): ingest API -> worker -> incident -> e-mail, with a real worker."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.actors import Actor
    from clinics.services import clinic_member_add
    from crisis.models import EventKind, Incident, IncidentEvent, IncidentMention
    from crisis.selectors import incidents_active
    from crisis.services import incident_status_set
    from crisis.tasks import detectors_run_clinic_task
    from feeds.models import Review
    from scoring.models import ReviewScore
    from tests.fixtures.tenants import clinic_committed_create

    made = clinic_committed_create(
        name="Latency", slug="bench-latency", agency_slug="bench", api_key_scopes=["read", "write"]
    )
    clinic = made.clinic
    clinic_member_add(
        clinic=clinic,
        email="comms@bench.example",
        full_name="Comms",
        role="viewer",
        crisis_roles=["comms"],
    )
    with schema_context(clinic.schema_name):
        fill(per_day=args.per_day, days=28, end=timezone.now(), seed=999)
    connection.set_schema_to_public()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {made.api_key}")
    url = f"/clinics/{clinic.slug}/api/v1/reviews/ingest/"
    counter = iter(range(1, 10**6))

    def push(text: str, rating: int) -> tuple[int, float]:
        n = next(counter)
        body = {
            "source": "google",
            "external_id": f"live-{n}",
            "rating": rating,
            "text": text,
            "published_at": (timezone.now() - timedelta(seconds=1)).isoformat(),
        }
        response = client.post(url, json.dumps(body), content_type="application/json")
        accepted = time.time()
        assert response.status_code == 200, response.content
        return response.json()["results"][0]["id"], accepted

    log = open("/tmp/bench_detect_worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "default,ml",
            "-c",
            "1",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    result: dict = {}
    try:
        # warm-up: does scoring run? (the model loads in the worker child)
        review_id, accepted = push("Lovely visit, thank you", 5)
        scored_at = None
        deadline = time.time() + args.scoring_wait
        while time.time() < deadline:
            with schema_context(clinic.schema_name):
                score = ReviewScore.objects.filter(review_id=review_id).first()
            if score:
                scored_at = score.created_at.timestamp()
                break
            time.sleep(0.1)
        scoring = scored_at is not None
        result["scoring_seen"] = scoring
        if not scoring:
            log.flush()
            why = [
                line.strip()
                for line in Path(log.name).read_text().splitlines()
                if "Error" in line and ":" in line
            ]
            result["scoring_note"] = why[-1][:400] if why else "no score, no error logged"
        result["first_score_seconds"] = round(scored_at - accepted, 2) if scoring else None
        result["path"] = (
            "ingest API -> scoring task (ml queue) -> detectors task queued when the review's "
            "score appears (emulating the scoring hook, polled every 50 ms) -> incident -> "
            "e-mail to the crisis team"
            if scoring
            else "ingest API -> detectors task queued right after the ingest answer (no score "
            f"appeared within {args.scoring_wait} s) -> incident -> e-mail to the crisis team"
        )
        incident_s, notified_s, score_s, pushes, kinds = [], [], [], [], []
        for _ in range(args.trials):
            with schema_context(clinic.schema_name):
                # start each trial from a quiet clinic: whatever is still running is resolved
                for pk in incidents_active().values_list("pk", flat=True):
                    incident_status_set(
                        incident_id=pk,
                        status="resolved",
                        actor=Actor.of_system("bench", "Benchmark"),
                    )
                last = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            time.sleep(1.0)
            accepted_at: dict[int, float] = {}
            waiting: set[int] = set()
            incident = None
            deadline = time.time() + 90
            next_push = 0.0
            while incident is None and time.time() < deadline:
                if time.time() >= next_push and len(accepted_at) < 25:
                    rid, at = push("Rude staff, filthy rooms, terrible care. Never again.", 1)
                    accepted_at[rid] = at
                    next_push = time.time() + args.interval
                    if scoring:
                        waiting.add(rid)
                    else:
                        with schema_context(clinic.schema_name):
                            detectors_run_clinic_task.delay([rid])
                with schema_context(clinic.schema_name):
                    if waiting:
                        for rid, created in ReviewScore.objects.filter(
                            review_id__in=list(waiting)
                        ).values_list("review_id", "created_at"):
                            score_s.append(created.timestamp() - accepted_at[rid])
                            detectors_run_clinic_task.delay([rid])
                            waiting.discard(rid)
                    incident = Incident.objects.filter(pk__gt=last).order_by("pk").first()
                time.sleep(0.05)
            if incident is None:
                result.setdefault("failed_trials", 0)
                result["failed_trials"] += 1
                continue
            notified = None
            deadline = time.time() + 60
            while notified is None and time.time() < deadline:
                with schema_context(clinic.schema_name):
                    notified = IncidentEvent.objects.filter(
                        incident=incident, kind=EventKind.NOTIFIED, message__startswith="E-mailed"
                    ).first()
                time.sleep(0.05)
            with schema_context(clinic.schema_name):
                at_open = list(
                    IncidentMention.objects.filter(
                        incident=incident, added_at=incident.opened_at, review_id__in=accepted_at
                    ).values_list("review_id", flat=True)
                )
                crossing = (
                    Review.objects.filter(pk__in=at_open).order_by("-published_at", "-pk").first()
                )
                if crossing is None:  # opened on background items alone
                    continue
                incident_s.append(incident.created_at.timestamp() - accepted_at[crossing.pk])
                if notified:
                    notified_s.append(notified.at.timestamp() - accepted_at[crossing.pk])
                pushes.append(len(accepted_at))
                kinds.append(incident.kind)
        summary = lambda xs: (  # noqa: E731
            {
                "n": len(xs),
                "p50": round(statistics.median(xs), 2),
                "p95": round(pct(xs, 0.95), 2),
                "max": round(max(xs), 2),
            }
            if xs
            else None
        )
        result.update(
            {
                "trials": args.trials,
                "push_interval_seconds": args.interval,
                "reviews_pushed_per_trial": summary(pushes),
                "incident_kinds": dict(Counter(kinds)),
                "accepted_to_scored_seconds": summary(score_s),
                "accepted_to_incident_seconds": summary(incident_s),
                "accepted_to_notified_seconds": summary(notified_s),
                "target_p95_seconds": 30,
                "met": bool(notified_s) and pct(notified_s, 0.95) <= 30,
            }
        )
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        redis.Redis.from_url(REDIS_URL).flushdb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--per-day", type=float, default=30)
    parser.add_argument("--busy-per-day", type=float, default=300)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between pushes")
    parser.add_argument("--scoring-wait", type=float, default=45)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    reset()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_all"],
        cwd=ROOT,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    out = Path(__file__).with_name("results.json")

    def write(a: dict, b: dict | None) -> None:
        out.write_text(
            json.dumps(
                {
                    "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "cpus": os.cpu_count(),
                    "cost": a,
                    "latency": b,
                },
                indent=2,
            )
        )

    a = cost(args)
    write(a, None)
    b = None if args.skip_latency else latency(args)
    write(a, b)

    ms = a["ms_per_clinic"]
    print(
        f"(a) detectors per clinic — {a['clinics']} clinics, ~{a['items_per_clinic_mean']} "
        f"items each ({a['per_day']:g}/day, {a['history_days']} days)"
    )
    print(f"    {'cold mean':<22}{ms['cold_mean']:>10} ms")
    print(f"    {'warm mean':<22}{ms['warm_mean']:>10} ms")
    print(f"    {'warm median':<22}{ms['warm_median']:>10} ms")
    print(f"    {'warm p95':<22}{ms['warm_p95']:>10} ms")
    print(
        f"    {'busy clinic':<22}{a['busy_clinic']['ms']:>10} ms  "
        f"({a['busy_clinic']['items']} items, {a['busy_clinic']['per_day']:g}/day)"
    )
    p = a["projected_1000_clinics"]
    print(
        f"    1,000 clinics: {p['worker_seconds_per_sweep']} worker-seconds per sweep "
        f"({p['wall_seconds_with_4_workers']} s on 4 workers); dispatch {p['dispatch_seconds']} s;"
        f" escalation check {p['escalation_check_seconds']} s"
    )
    if b:
        print(f"(b) latency — {b['path']}")
        for key in (
            "accepted_to_scored_seconds",
            "accepted_to_incident_seconds",
            "accepted_to_notified_seconds",
        ):
            s = b.get(key)
            if s:
                print(
                    f"    {key:<32} p50 {s['p50']:>6} s  p95 {s['p95']:>6} s  max {s['max']:>6} s"
                    f"  (n={s['n']})"
                )
        print(f"    target p95 <= 30 s: {'met' if b['met'] else 'NOT met'}")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
