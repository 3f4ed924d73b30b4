"""The two approval queues with a long backlog: the agency's approval queue
(GET /clinics/<slug>/replies/, an agency owner signed in) and the portal's approvals page
(GET /clinics/<slug>/portal/approvals/, the clinic's approver), with `--replies` replies of
their own and `--batches` reply batches of 16 mentions (a claim cluster each) waiting at the
clinic's step. Server time (wall and the web process's own CPU), queries, bytes and the cards
shown, in-process with Django's test client (DEBUG off); the first page and the last one.

Creates its own database (BENCH_DB, default carewatch_bench_approvals: dropped and made anew)
with one agency and one clinic, the texts written with bulk_create
(`tests.responses.backlog.backlog_create`: a version, the writer's submit and the agency's
approval in the audit trail each); drops the database after. Prints a
table and writes bench/approvals/results.json under `--label` (default "after"), keeping the
other labels already there (run it with `--label before` on the code before a change).

    .venv/bin/python bench/approvals/run.py [--replies 500] [--batches 4] [--requests 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.benchdb import (  # noqa: E402
    bench_environ,
    django_on_fresh_db,
    drop_db,
    staff_client,
    timed_requests,
)

BASE, DB = bench_environ("carewatch_bench_approvals")
SLUG = "bench-approvals"
BATCH = 16


def _measure(get, n: int) -> dict:
    figures, response, _ = timed_requests(get, n)
    html = response.content.decode()
    return {
        **figures,
        "bytes": len(response.content),
        # a reply or batch card: the staff queue's and the portal's
        "cards": len(
            re.findall(r'<article class="card"[^>]*id="(?:card-(?:reply|batch)|batch-card)-', html)
        )
        + len(re.findall(r'aria-labelledby="reply-\d+-h"', html)),
        "showing": (m.group(0) if (m := re.search(r"Showing [^<]*", html)) else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=500)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()

    django_on_fresh_db(BASE, DB)
    from django.test import Client
    from django_tenants.utils import schema_context

    from agency.services import agency_create, agency_member_add
    from clinics.models import ClinicMembership
    from clinics.services import clinic_create
    from tests.responses.backlog import backlog_create

    agency = agency_create(name="Bench Agency", slug=SLUG, support_email="bench@approvals.test")
    clinic = clinic_create(agency=agency, name="Bench Family Clinic", slug=SLUG)
    with schema_context(clinic.schema_name):
        backlog_create(replies=args.replies, batches=args.batches, batch_size=BATCH)
    owner = agency_member_add(
        agency=agency, email="owner@approvals.test", full_name="Bench Owner", role="owner"
    ).user
    staff = staff_client(owner)
    from accounts.models import User

    approver = User.objects.create_user(email="approver@approvals.test", password="x-bench-12345")
    ClinicMembership.objects.create(clinic=clinic, user=approver, role="approver")
    portal = Client()
    portal.force_login(approver)

    rows_waiting = args.replies + args.batches  # a batch is one row of a queue

    def _last(per_page: int) -> int:
        return max(1, -(-rows_waiting // per_page))

    cases = [
        ("staff queue, page 1", staff, f"/clinics/{SLUG}/replies/"),
        ("staff queue, last page", staff, f"/clinics/{SLUG}/replies/?page={_last(50)}"),
        ("portal approvals, page 1", portal, f"/clinics/{SLUG}/portal/approvals/"),
        ("portal approvals, last page", portal,
         f"/clinics/{SLUG}/portal/approvals/?page={_last(20)}"),
    ]  # fmt: skip
    rows = {}
    with schema_context(clinic.schema_name):
        for name, client, url in cases:
            assert client.get(url).status_code == 200, url  # warm: imports, templates
            rows[name] = {"url": url, **_measure(lambda c=client, u=url: c.get(u), args.requests)}
    from django.db import connections

    connections.close_all()
    drop_db(BASE, DB)
    result = {
        "replies": args.replies,
        "batches_of_16": args.batches,
        "requests": args.requests,
        "pages": rows,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        f"\nApproval queues, {args.replies} replies and {args.batches} batches of {BATCH} "
        f"waiting for the clinic [{args.label}]"
    )
    print(f"{'':30}{'wall s':>8}{'CPU s':>8}{'queries':>9}{'KiB':>7}{'cards':>7}  shown")
    for name, row in rows.items():
        print(
            f"{name:<30}{row['wall_s_p50']:>8}{row['cpu_s_p50']:>8}{row['queries']:>9}"
            f"{row['kb']:>7}{row['cards']:>7}  {row['showing']}"
        )
    out = ROOT / "bench" / "approvals" / "results.json"
    saved = json.loads(out.read_text()) if out.exists() else {}
    saved[args.label] = result
    out.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
