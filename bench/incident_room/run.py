"""The incident room and the incident API of a big incident: server time (wall and the web
process's own CPU), queries, bytes and timeline lines of GET incidents/<id>/ (the room page,
the agency's staff signed in) and GET api/v1/incidents/<id>/ (an agency key), measured
in-process with Django's test client (DEBUG off), plus the post-crisis review's timeline
(`crisis.timeline.review_timeline`, the document: complete) at two sizes, to show it grows
linearly.

Creates its own database (BENCH_DB, default carewatch_bench_incident_room: dropped and made
anew), an agency, one clinic and the incident (`tests.crisis.big_incident`: `--events`
events, reply batches of 16 mentions and replies of their own, `--replies` replies in all,
each with its steps in the audit trail); drops the database after. Prints a table and writes
bench/incident_room/results.json under `--label` (default "after"), keeping the other labels
already there (run it with `--label before` on the code before a change).

    .venv/bin/python bench/incident_room/run.py [--events 600] [--replies 2000] [--requests 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
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

BASE, DB = bench_environ("carewatch_bench_incident_room")
SLUG = "bench-room"
BATCH = 16


def _measure(get, n: int) -> dict:
    figures, response, captured = timed_requests(get, n)
    slowest = sorted(captured, key=lambda q: -float(q["time"]))[:3]
    return {
        "slowest_queries": [{"s": float(q["time"]), "sql": q["sql"][:300]} for q in slowest],
        **figures,
        "_response": response,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()

    django_on_fresh_db(BASE, DB)
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.credentials import api_key_create
    from agency.services import agency_create, agency_member_add
    from clinics.services import clinic_create
    from crisis.timeline import review_timeline
    from tests.crisis.big_incident import big_incident_create

    agency = agency_create(name="Bench Agency", slug=SLUG, support_email="bench@room.test")
    clinic = clinic_create(agency=agency, name="Bench Family Clinic", slug=SLUG)
    batches = args.replies // 2 // BATCH
    singles = args.replies - batches * BATCH
    with schema_context(clinic.schema_name):
        incident = big_incident_create(
            events=args.events, batches=batches, batch_size=BATCH, singles=singles
        )
        # the review's timeline at half and full size: it must grow linearly
        sizes = {
            size: big_incident_create(
                events=size,
                batches=batches * size // args.events,
                batch_size=BATCH,
                singles=singles * size // args.events,
                tag=f"r{size}",
            )
            for size in (args.events // 2, args.events)
        }
    owner = agency_member_add(
        agency=agency, email="owner@room.test", full_name="Bench Owner", role="owner"
    ).user
    _, issued = api_key_create(agency=agency, clinic=clinic, name="bench", scopes=["read"])
    client = staff_client(owner)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    result: dict = {
        "events": args.events,
        "replies": args.replies,
        "batches_of_16": batches,
        "replies_of_their_own": singles,
    }
    with schema_context(clinic.schema_name):
        room_url = f"/clinics/{SLUG}/incidents/{incident.pk}/"
        api_url = f"/clinics/{SLUG}/api/v1/incidents/{incident.pk}/"
        client.get(room_url)  # warm: imports, templates
        room = _measure(lambda: client.get(room_url), args.requests)
        page = room.pop("_response").content.decode()
        body = page.split('id="timeline-h"', 1)[-1].split("</table>", 1)[0]
        room["timeline_rows"] = len(re.findall(r"<tr class=\"timeline-", body))
        room["table_rows"] = page.count("<tr")
        detail = _measure(lambda: api.get(api_url), args.requests)
        data = detail.pop("_response").json()
        detail["timeline_lines"] = len(data["timeline"])
        result["room"], result["api_detail"] = room, detail
    with schema_context(clinic.schema_name):
        review = {}
        for size, small in sizes.items():
            t0, c0 = time.perf_counter(), time.process_time()
            lines = review_timeline(small, clinic)
            review[f"{size}_events"] = {
                "wall_s": round(time.perf_counter() - t0, 3),
                "cpu_s": round(time.process_time() - c0, 3),
                "lines": len(lines),
            }
        result["review_timeline"] = review
    from django.db import connections

    connections.close_all()
    drop_db(BASE, DB)
    result["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]

    print(
        f"\nIncident room, {args.events} events, {args.replies} replies "
        f"({batches} batches of {BATCH}, {singles} of their own) [{args.label}]"
    )
    print(f"{'':28}{'wall s':>8}{'CPU s':>8}{'queries':>9}{'KiB':>7}{'lines':>7}")
    for name, row in (("room page", room), ("API incident detail", detail)):
        lines = row.get("timeline_rows", row.get("timeline_lines"))
        print(
            f"{name:<28}{row['wall_s_p50']:>8}{row['cpu_s_p50']:>8}{row['queries']:>9}"
            f"{row['kb']:>7}{lines:>7}"
        )
    for size, row in review.items():
        print(f"{'review timeline, ' + size:<28}{row['wall_s']:>8}{row['cpu_s']:>8}"
              f"{'':>9}{'':>7}{row['lines']:>7}")  # fmt: skip
    out = ROOT / "bench" / "incident_room" / "results.json"
    saved = json.loads(out.read_text()) if out.exists() else {}
    saved[args.label] = result
    out.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
