"""Inbox and reviews-API latency with a large clinic: 40,000 reviews and mentions, every one
scored, 2,000 replies at every stage, 400 claims; the staff inbox's filters and sorts (one
request each, in process through Django's test client: the view, its COUNT, its claims table
and the template) and the reviews API's sorts and text search. Median of `--repeat` warm
requests per case, after one unmeasured request.

Own database (carewatch_bench_inbox, built on first run or with --rebuild). Prints a table,
writes bench/inbox/results.json (`--explain`: also prints EXPLAIN ANALYZE of the queries the
audit named).

    .venv/bin/python bench/inbox/run.py [--reviews 40000] [--repeat 7] [--rebuild] [--explain]
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import reset_db  # noqa: E402

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")

SETUP = """
import random, sys
import django
django.setup()
from datetime import UTC, datetime, timedelta
from django.db import connection
from django_tenants.utils import schema_context
from accounts.models import User
from agency.models import AgencyMembership
from feeds.models import Review
from feeds.services import source_create
from responses.models import ReplyDraft
from scoring.models import ClaimCluster, ClaimMention
from scoring.services import latest_scores_refresh
from tests.fixtures.tenants import clinic_committed_create
SENTENCES = [
    "The staff were friendly and the nurse explained everything clearly.",
    "We waited over an hour past our appointment time.", "Parking was hard to find.",
    "Billing sorted my insurance quickly.", "The front desk was rude on the phone.",
    "Clean waiting room, quick check-in.", "They lost my lab results twice.",
    "Best pediatric care in town, my kids love it here.", "Nobody called back about my referral.",
    "The doctor listened and never rushed me.", "I was charged for a visit I cancelled.",
    "Great experience with the physical therapy team.", "The online booking never works.",
    "My prescription was sent to the wrong pharmacy.", "Friendly receptionist, very patient.",
    "The bathroom was dirty and out of soap.", "Short wait, thorough exam, kind staff.",
    "They answered all my questions about the procedure.", "The x-ray machine was broken again.",
    "Would recommend to anyone new in the area.",
]
NAMES = ["Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Novak", "Oyelaran", "Brennan",
         "Castillo", "Varga"] + [f"Doc{i}" for i in range(190)]
def text(rng):
    said = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 4)))
    return said + (f" Dr. {rng.choice(NAMES)} was great." if rng.random() < 0.3 else "")
made = clinic_committed_create(slug="bench-clinic", name="Bench", agency_slug="bench",
                               api_key_scopes=["read"])
user = User.objects.create_user(email="bench@bench.test", password="x-bench-1234567")
AgencyMembership.objects.create(agency=made.agency, user=user, role="owner")
rng = random.Random(1)
total = int(sys.argv[1])
start = datetime(2026, 1, 1, tzinfo=UTC)
with schema_context(made.clinic.schema_name):
    sources = [source_create(kind="google", name="Google"), source_create(kind="facebook", name="Facebook")]
    rows = []
    for n in range(total):
        mention = n % 5 == 0
        rows.append(Review(
            source=sources[0] if n % 4 else sources[1], external_id=f"r-{n}",
            kind="mention" if mention else "review", author_name=f"User {n % 997}",
            rating=None if mention else rng.randint(1, 5), text=text(rng),
            published_at=start + timedelta(minutes=7 * n), likes=rng.randint(0, 50),
            shares=rng.randint(0, 9), replies=rng.randint(0, 5), status=rng.choice(["new", "new", "needs_reply", "resolved"]),
            is_deleted=n % 97 == 0))
    Review.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(\"\"\"
            INSERT INTO scoring_reviewscore
                (review_id, model_version, label, score, confidence, topics, flags, created_at)
            SELECT id, 'sentiment-1.1.0',
                   CASE WHEN coalesce(rating, id % 5 + 1) <= 2 THEN 'negative'
                        WHEN coalesce(rating, id % 5 + 1) = 3 THEN 'neutral' ELSE 'positive' END,
                   (coalesce(rating, 3) - 3) / 2.0 * 0.9, 0.9,
                   CASE WHEN id % 3 = 0 THEN '[{"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}]'::jsonb
                        WHEN id % 3 = 1 THEN '[{"name": "billing_insurance", "triggers": ["bill"]}]'::jsonb
                        ELSE '[]'::jsonb END,
                   CASE WHEN id % 50 = 0 THEN '[{"name": "legal_threat", "evidence": ["lawyer"], "probability": 0.81}]'::jsonb
                        ELSE '[]'::jsonb END,
                   published_at + interval '2 minutes'
            FROM feeds_review\"\"\")
        # a rescore of one review in ten, a day later (the latest score is the one read)
        cursor.execute(\"\"\"
            INSERT INTO scoring_reviewscore
                (review_id, model_version, label, score, confidence, topics, flags, created_at)
            SELECT review_id, 'sentiment-1.2.0', label, score, confidence, topics, flags,
                   created_at + interval '1 day'
            FROM scoring_reviewscore WHERE review_id % 10 = 0\"\"\")
    # each review's latest score stored, as scores_write leaves it (scoring.LatestScore)
    latest_scores_refresh(review_ids=list(Review.objects.values_list("id", flat=True)))
    ids = list(Review.objects.filter(is_deleted=False).order_by("?").values_list("id", flat=True)[:2000])
    statuses = ["draft"] * 6 + ["pending_agency", "changes_requested", "approved"] * 2 + ["published"] * 6
    ReplyDraft.objects.bulk_create([
        ReplyDraft(review_id=rid, status=statuses[i % len(statuses)], version=1, author_label="bench")
        for i, rid in enumerate(ids)])
    clusters = ClaimCluster.objects.bulk_create([
        ClaimCluster(title=f"claim {i}", flags=["patient_safety"] if i % 2 else [],
                     misinformation=i % 3 == 0, last_joined_at=start) for i in range(400)])
    negative = list(Review.objects.filter(rating__lte=2).order_by("id").values_list("id", flat=True)[:6000])
    ClaimMention.objects.bulk_create([
        ClaimMention(review_id=rid, cluster=clusters[i % 400], claim="c", similarity=0.9)
        for i, rid in enumerate(negative)])
from core.maintenance import stale_tables_analyze
stale_tables_analyze()
with schema_context(made.clinic.schema_name), connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
"""

MEASURE = """
import json, statistics, sys, time
import django
django.setup()
from django.test import Client
from accounts.credentials import api_key_create
from accounts.models import User
from clinics.models import Clinic
from tests.fixtures.tenants import otp_verify_session
repeat, cases = int(sys.argv[1]), json.loads(sys.argv[2])
clinic = Clinic.objects.get(slug="bench-clinic")
_, issued = api_key_create(agency=clinic.agency, clinic=clinic, name=f"inbox-bench-{time.time_ns()}", scopes=["read"])
secret = issued.secret
staff = Client()
user = User.objects.get(email="bench@bench.test")
staff.force_login(user)
otp_verify_session(staff, user)
api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
rows = []
for name, path in cases:
    client = api if "/api/" in path else staff
    assert client.get(path).status_code == 200, (name, path)
    timings = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    rows.append({"case": name, "path": path, "median_ms": round(statistics.median(timings), 1),
                 "min_ms": round(min(timings), 1)})
print(json.dumps(rows))
"""

EXPLAIN = """
import sys
import django
django.setup()
from django.db import connection
from django_tenants.utils import schema_context
from clinics.models import Clinic
from django.db.models import Count
from feeds.models import Review
from inbox.selectors import reply_state_is, reviews_filtered, reviews_matching
clinic = Clinic.objects.get(slug="bench-clinic")
def show(title, qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = [r[0] for r in cursor.fetchall()]
    print(f"== {title}")
    print("\\n".join(plan if "-v" in sys.argv else [plan[0], *plan[-2:]]))
with schema_context(clinic.schema_name):
    for state in ("drafted", "none"):  # the inbox's COUNT
        show(f"COUNT reply={state}", reviews_filtered().filter(reply_state_is(state)).values("pk").order_by())
    show("claims unanswered", Review.objects.filter(reply_state_is("none"), claim_mention__cluster_id__in=range(400),
         is_deleted=False).values("claim_mention__cluster_id").annotate(n=Count("pk")).order_by())
    show("page reach", reviews_matching(order="reach")[:50])
    show("page rating", reviews_matching(order="rating")[:50])
    show("COUNT q=okafor", reviews_matching(q="okafor").order_by().values("pk"))
    show("page q=okafor", reviews_matching(q="okafor")[:50])
    show("COUNT topic=wait_time", reviews_matching(topic="wait_time").order_by().values("pk"))
    show("page topic=wait_time", reviews_matching(topic="wait_time")[:50])
    show("page topic by reach", reviews_matching(topic="billing_insurance", order="reach")[:50])
    show("COUNT flag=legal_threat", reviews_matching(flag="legal_threat").order_by().values("pk"))
    show("page flag=legal_threat", reviews_matching(flag="legal_threat")[:50])
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", default="carewatch_bench_inbox")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE too")
    parser.add_argument("--migrate", action="store_true", help="migrate_schemas before measuring")
    parser.add_argument("--label", default="", help="a word kept with the results (before/after)")
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{args.db}", "REDIS_URL": REDIS,
           "CACHE_URL": REDIS, "LOG_LEVEL": "WARNING", "DEBUG": "false",
           "ALLOWED_HOSTS": "testserver", "API_RATE_LIMIT": "100000/min",
           "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone()
    if args.rebuild or not exists:
        reset_db(BASE, args.db)
        t = time.monotonic()
        print(f"building {args.db}: {args.reviews:,} reviews ...", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate_all"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([sys.executable, "-c", SETUP, str(args.reviews)], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        print(f"built in {time.monotonic() - t:.0f} s", flush=True)
    elif args.migrate:
        subprocess.run([sys.executable, "manage.py", "migrate_schemas"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    inbox = "/clinics/bench-clinic/inbox/"
    api = "/clinics/bench-clinic/api/v1/reviews/"
    cases = [
        ("inbox default", inbox),
        ("inbox neg+google+1 star", inbox + "?sentiment=negative&source=google&rating=1"),
        ("inbox sort by reach", inbox + "?order=reach"),
        ("inbox sort by rating", inbox + "?order=rating"),
        ("inbox q=parking", inbox + "?q=parking"),
        ("inbox q=okafor", inbox + "?q=okafor"),
        ("inbox topic=wait_time", inbox + "?topic=wait_time"),
        ("inbox topic=wait_time negative", inbox + "?topic=wait_time&topic_sentiment=negative"),
        ("inbox topic by reach", inbox + "?topic=billing_insurance&order=reach"),
        ("inbox flag=legal_threat", inbox + "?flag=legal_threat"),
        ("inbox reply=drafted", inbox + "?reply=drafted"),
        ("inbox reply=none", inbox + "?reply=none"),
        ("API newest", api),
        ("API order=reach", api + "?order=reach"),
        ("API order=rating", api + "?order=rating"),
        ("API q=parking", api + "?q=parking"),
        ("API q=okafor", api + "?q=okafor"),
        ("API topic=wait_time", api + "?topic=wait_time"),
        ("API flag=legal_threat", api + "?flag=legal_threat"),
    ]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(args.repeat), json.dumps(cases)],
        cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout  # fmt: skip
    rows = json.loads(out.strip().splitlines()[-1])
    print(f"{args.reviews:,} reviews; median of {args.repeat} warm requests in process")
    print(f"{'case':<32} {'median ms':>10} {'min ms':>8}")
    for r in rows:
        print(f"{r['case']:<32} {r['median_ms']:>10} {r['min_ms']:>8}")
    path = Path(__file__).with_name("results.json")
    path.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                "label": args.label, "reviews": args.reviews,
                                "repeat": args.repeat, "rows": rows}, indent=2))  # fmt: skip
    print(f"wrote {path.relative_to(ROOT)}")
    if args.explain:
        subprocess.run([sys.executable, "-c", EXPLAIN], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
