"""Post-crisis review PDF: how long `crisis.export.review_pdf` takes for a realistic incident
(a month of traffic, a surge of negative mentions, notes shared with the clinic, replies and
statements), rendered N times in one process, with the process's own CPU time beside the wall
time (the machine is shared: on a loaded machine the wall time is a multiple of the CPU time),
split into our part (figures, charts, template) and WeasyPrint's (parse, layout, PDF writing);
and the first PDF in a new process, as a new web worker serves it (Django set up and the
URLconf imported, as config/gunicorn.py's `when_ready` leaves the master), with and without
WeasyPrint imported beforehand.

Creates its own database (BENCH_DB, default carewatch_bench_review_pdf: dropped and made anew),
an agency, one clinic and the incident; drops the database after. Prints a table and writes
bench/review_pdf/results.json, with the PDF's page count and a digest of its text
(`pdftotext`, the run's own times left out) so that a change can show it left the document
as it was.

    .venv/bin/python bench/review_pdf/run.py [--renders 15] [--notes 40] [--cold 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.benchdb import bench_environ, django_on_fresh_db, drop_db  # noqa: E402

BASE, DB = bench_environ("carewatch_bench_review_pdf")

SLUG = "bench-review-pdf"
# When the incident opened: the "after" period (as long as the crisis) has passed by now.
OPENED = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
NOTES = [
    "Called the practice manager; she confirms the front desk was short-staffed on Tuesday "
    "and two patients waited over an hour.",
    "The post claiming the clinic lost patient records is false: no records were lost. Fact "
    "sheet updated with the practice manager's confirmation.",
    "Replied publicly to the three most shared mentions with the agreed wording; asked the "
    "authors to contact the clinic directly.",
    "Local news site asked for a comment; sent the published statement and the clinic's "
    "phone number.",
    "Volume back to the usual rate since this morning; keeping an eye on the Facebook group "
    "where it started.",
]

COLD = """
import json, sys, time
import django
django.setup()
from django.conf import settings
from django.urls import get_resolver
for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
    get_resolver(urlconf).url_patterns
if sys.argv[1] == "preloaded":  # as config/gunicorn.py's when_ready does now
    from core.pdf import warm_up
    warm_up()
from django_tenants.utils import schema_context
from clinics.models import Clinic
from crisis.export import review_pdf
from crisis.models import PostCrisisReview
clinic = Clinic.objects.get(slug=sys.argv[2])
with schema_context(clinic.schema_name):
    review = PostCrisisReview.objects.select_related("incident").get(incident_id=int(sys.argv[3]))
    out = []
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        review_pdf(review, clinic)
        out.append([time.perf_counter() - t0, time.process_time() - c0])
print(json.dumps(out))
"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _seed(clinic, *, notes: int):
    """The incident: 30 days of ordinary traffic (~30 items a day, a fifth negative), a surge
    of 60 negative mentions in the six hours before it opened, 40 of them linked; `notes`
    notes shared with the clinic, replies to 8 mentions, two statements; resolved a day later."""
    from django.db.models import F

    from accounts.actors import Actor
    from crisis.models import Incident, IncidentMention, IncidentStatement, PostCrisisReview
    from crisis.services import incident_acknowledge, incident_note_add, incident_status_set
    from feeds.models import Review, Source
    from responses.models import ReplyDraft, Statement
    from scoring.models import ReviewScore
    from scoring.services import latest_scores_refresh

    rng = random.Random(7)
    actor = Actor.of_system("bench", "Bench Writer")
    source = Source.objects.create(kind="google", name="Google")
    social = Source.objects.create(kind="facebook", name="Facebook")
    rows = []
    start = OPENED - timedelta(days=30)
    for n in range(900):
        at = start + timedelta(seconds=rng.randrange(30 * 86400))
        label = rng.choices(["negative", "neutral", "positive"], [20, 15, 65])[0]
        rating = {"negative": rng.choice([1, 2]), "neutral": 3, "positive": rng.choice([4, 5])}
        rows.append(
            (
                Review(
                    source=source,
                    external_id=f"b{n}",
                    rating=rating[label],
                    text=f"A {label} review of an ordinary visit",
                    published_at=at,
                ),
                label,
            )
        )
    after = OPENED + timedelta(days=1)
    for n in range(120):  # the days after the crisis
        at = after + timedelta(seconds=rng.randrange(2 * 86400))
        rows.append(
            (
                Review(
                    source=source, external_id=f"a{n}", rating=5, text="Kind staff", published_at=at
                ),
                "positive",
            )
        )
    for n in range(60):
        at = OPENED - timedelta(seconds=rng.randrange(6 * 3600))
        rows.append(
            (
                Review(
                    source=social,
                    external_id=f"m{n}",
                    kind="mention",
                    text="They lost my records and nobody called back",
                    published_at=at,
                    likes=rng.randrange(80),
                    shares=rng.randrange(20),
                ),
                "negative",
            )
        )
    reviews = Review.objects.bulk_create([r for r, _ in rows], batch_size=2000)
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
    ReviewScore.objects.bulk_create(
        [
            ReviewScore(review=r, model_version="bench", label=label, score=score[label])
            for r, (_, label) in zip(reviews, rows, strict=True)
        ],
        batch_size=2000,
    )
    # each review's latest score stored, as scores_write leaves it (scoring.LatestScore): the
    # post-crisis figures read it
    latest_scores_refresh(review_ids=[r.pk for r in reviews])
    Review.objects.update(updated_at=F("published_at"))
    mentions = [r for r in reviews if r.kind == "mention"]
    incident = Incident.objects.create(
        kind="surge",
        title="Negative surge: 60 in 6 hours",
        severity="critical",
        trigger={
            "kind": "surge",
            "explanation": "60 negative mentions in 6 hours against 1.2 expected.",
            "numbers": {"count": 60, "window_minutes": 360},
        },
        opened_at=OPENED,
        last_detected_at=OPENED,
    )
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=OPENED) for r in mentions[:40]]
    )
    incident_acknowledge(incident_id=incident.pk, actor=actor, now=OPENED + timedelta(minutes=9))
    for n, review in enumerate(mentions[:8]):
        ReplyDraft.objects.create(
            review=review,
            status="published",
            version=1,
            published_at=OPENED + timedelta(minutes=30 + 10 * n),
            author_label="user:1",
        )
    for title, at in (("About the rumour", OPENED + timedelta(hours=2)), ("Update", None)):
        statement = Statement.objects.create(
            title=title,
            status="published" if at else "draft",
            published_at=at,
            is_pinned=bool(at),
            author_label="user:1",
            version=1,
        )
        IncidentStatement.objects.create(incident=incident, statement=statement, added_at=OPENED)
    for n in range(notes):
        incident_note_add(
            incident_id=incident.pk,
            message=NOTES[n % len(NOTES)],
            actor=actor,
            shared_with_clinic=True,
        )
    incident_status_set(
        incident_id=incident.pk,
        status="resolved",
        actor=actor,
        override_reason="Resolved in the benchmark.",
        now=after,
    )
    return PostCrisisReview.objects.select_related("incident").get(incident=incident)


def _text_digest(pdf: bytes) -> tuple[int | None, str | None]:
    """(pages, sha256 of its text with whitespace collapsed), or (None, None) without poppler."""
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        return None, None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True)
        text = subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    pages = int(info.stdout.split("Pages:")[1].split()[0])
    # times of the run (when it was prepared, when the notes were written) read as one word
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<time>", " ".join(text.split()))
    return pages, hashlib.sha256(text.encode()).hexdigest()[:16]


def _stats(values: list[float]) -> dict:
    return {"p50": round(statistics.median(values), 3), "p90": round(_pct(values, 0.9), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--cold", type=int, default=3, help="new processes per cold case")
    args = parser.parse_args()

    django_on_fresh_db(BASE, DB)
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from django_tenants.utils import schema_context

    from agency.services import agency_create
    from clinics.services import clinic_create
    from crisis.export import css_string, review_context, review_pdf

    agency = agency_create(name="Bench Agency", slug=SLUG, support_email="bench@pdf.test")
    clinic = clinic_create(agency=agency, name="Bench Family Clinic", slug=SLUG)
    with schema_context(clinic.schema_name):
        review = _seed(clinic, notes=args.notes)
        pdf = review_pdf(review, clinic)  # warm: imports, templates, fonts
        pages, digest = _text_digest(pdf)
        ours, parse, layout, write, total, total_cpu = [], [], [], [], [], []
        import weasyprint
        from weasyprint.urls import URLFetcher

        for _ in range(args.renders):
            t0, c0 = time.perf_counter(), time.process_time()
            pdf = review_pdf(review, clinic)
            total.append(time.perf_counter() - t0)
            total_cpu.append(time.process_time() - c0)
            # the same work in its parts, CPU time (the machine is shared)
            c0 = time.process_time()
            context = review_context(review, clinic)
            html = render_to_string(
                "crisis/review_export.html",
                {**context, "for_pdf": True, "footer_css": mark_safe(css_string("x"))},  # noqa: S308
            )
            c1 = time.process_time()
            document = weasyprint.HTML(
                string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])
            )
            c2 = time.process_time()
            rendered = document.render(pdf_variant="pdf/ua-1", pdf_tags=True)
            c3 = time.process_time()
            rendered.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
            c4 = time.process_time()
            ours.append(c1 - c0)
            parse.append(c2 - c1)
            layout.append(c3 - c2)
            write.append(c4 - c3)
        incident_id = review.incident_id

    cold = {}
    for case in ("plain", "preloaded"):
        firsts, seconds = [], []
        for _ in range(args.cold):
            out = subprocess.run(
                [sys.executable, "-c", COLD, case, SLUG, str(incident_id)],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise SystemExit(f"the {case} process failed:\n{out.stderr[-3000:]}")
            (first, second) = json.loads(out.stdout.strip().splitlines()[-1])
            firsts.append(first)
            seconds.append(second)
        cold[case] = {
            "first_wall": _stats([f[0] for f in firsts]),
            "first_cpu": _stats([f[1] for f in firsts]),
            "second_cpu": _stats([s[1] for s in seconds]),
        }
    load_average = [round(x, 2) for x in os.getloadavg()]
    from django.db import connections

    connections.close_all()
    drop_db(BASE, DB)

    result = {
        "renders": args.renders,
        "notes": args.notes,
        "pages": pages,
        "text_sha256_16": digest,
        "bytes": len(pdf),
        "review_pdf_wall_s": _stats(total),
        "review_pdf_cpu_s": _stats(total_cpu),
        "parts_cpu_s": {
            "context_and_template": _stats(ours),
            "weasyprint_parse": _stats(parse),
            "weasyprint_layout": _stats(layout),
            "weasyprint_write_pdf": _stats(write),
        },
        "first_pdf_in_new_process": cold,
        "load_average_1_5_15": load_average,
        "cpus": os.cpu_count(),
        "weasyprint": weasyprint.__version__,
    }
    print(
        f"\nPost-crisis review PDF, {args.notes} shared notes, {args.renders} renders: "
        f"{pages} pages, {len(pdf) / 1024:.0f} KiB, text {digest}"
    )
    print(f"{'':44}{'p50 s':>8}{'p90 s':>8}")
    lines = [
        ("review_pdf, wall", result["review_pdf_wall_s"]),
        ("review_pdf, CPU", result["review_pdf_cpu_s"]),
    ]
    lines += [(f"  {k}, CPU", v) for k, v in result["parts_cpu_s"].items()]
    for case, row in cold.items():
        lines += [
            (f"first PDF, new process ({case}), wall", row["first_wall"]),
            (f"first PDF, new process ({case}), CPU", row["first_cpu"]),
        ]
    for label, row in lines:
        print(f"{label:<44}{row['p50']:>8}{row['p90']:>8}")
    print(f"load average {load_average} on {os.cpu_count()} CPUs (shared machine: read the CPU)")
    out = ROOT / "bench" / "review_pdf" / "results.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
