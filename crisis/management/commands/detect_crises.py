"""Backtest: replay a clinic's stored history through its detectors.

Steps through [--from, --to] (every 15 minutes by default); at each instant the detectors see
only what was published before it. An incident "opens" the first time a detector fires with no
incident of its kind and key running (or joins a running incident of another kind that
already holds most of its mentions, as the live run does), and is taken as over once its detector has been quiet
for --quiet-hours (nobody resolves incidents in a replay). One JSON line per incident on
stdout; nothing is stored and nobody is notified.

Known limits of a replay: scores and flags are the ones stored now (scored later than the
instant replayed), and a post's engagement is known at an instant only if it had not changed
since (or a sample of it was taken before).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from clinics.models import Clinic
from core.management.base import ServiceCommand
from crisis.detectors import Thresholds, evaluate, merge_target
from crisis.selectors import detector_settings_get, history_load

MAX_RANGE = timedelta(days=366)


def _instant(name: str, raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"--{name}: {raw!r} is not an ISO 8601 time (for example 2026-10-01T00:00:00Z)."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def replay(
    *,
    clinic: Clinic,
    start: datetime,
    end: datetime,
    step: timedelta,
    quiet: timedelta,
) -> tuple[list[dict], int]:
    """The incidents the detectors would have opened in [start, end], and how many instants
    were evaluated. Reads only."""
    with schema_context(clinic.schema_name):
        thresholds = Thresholds.from_settings(detector_settings_get())
        history = history_load(
            start=start - thresholds.lookback,
            end=end,
            text_since=start - thresholds.recent,
            tz=clinic.timezone,
        )
    running: dict[tuple[str, str], datetime] = {}  # (kind, key) -> when it last fired
    linked: dict[tuple[str, str], set[int]] = {}
    over: dict[tuple[str, str], datetime] = {}
    opened, steps, now = [], 0, start
    while now <= end:
        steps += 1
        for finding in evaluate(history, now, thresholds, over):
            key = (finding.kind, finding.key)
            if key in running:
                linked[key].update(finding.review_ids)
            if not finding.fired:
                continue
            if key not in running and (target := merge_target(finding, linked)) is not None:
                key = target
                linked[key].update(finding.review_ids)
            elif key not in running:
                linked[key] = set(finding.review_ids)
                opened.append(
                    {
                        "opened_at": now.isoformat(),
                        "kind": finding.kind,
                        "key": finding.key,
                        "severity": finding.severity,
                        "title": finding.title,
                        "explanation": finding.explanation,
                        "numbers": finding.numbers,
                        "mentions": len(finding.review_ids),
                    }
                )
            running[key] = now
        for key, last in list(running.items()):
            if now - last >= quiet:
                over[key] = now
                del running[key]
                history.handled |= linked.pop(key)
        now += step
    return opened, steps


class Command(ServiceCommand):
    help = (
        "Replay a clinic's stored reviews and mentions through its crisis detectors and print "
        "one JSON line per incident they would have opened. Stores nothing, notifies nobody."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="Clinic slug.")
        parser.add_argument("--from", dest="start", required=True, help="ISO 8601 start.")
        parser.add_argument("--to", dest="end", required=True, help="ISO 8601 end.")
        parser.add_argument(
            "--step-minutes", type=int, default=15, help="Minutes between evaluations (15)."
        )
        parser.add_argument(
            "--quiet-hours",
            type=float,
            default=6.0,
            help="An incident is over once its detector was quiet this long (6).",
        )

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        start = _instant("from", options["start"])
        end = _instant("to", options["end"])
        if start >= end:
            raise CommandError("--from must be before --to.")
        if end - start > MAX_RANGE:
            raise CommandError("Replay at most 366 days at a time.")
        if not 1 <= options["step_minutes"] <= 24 * 60:
            raise CommandError("--step-minutes must be between 1 and 1440.")
        if options["quiet_hours"] <= 0:
            raise CommandError("--quiet-hours must be positive.")
        opened, steps = replay(
            clinic=clinic,
            start=start,
            end=end,
            step=timedelta(minutes=options["step_minutes"]),
            quiet=timedelta(hours=options["quiet_hours"]),
        )
        for line in opened:
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        self.stderr.write(
            f"{clinic.slug}: {len(opened)} incident(s) in {steps} evaluations "
            f"from {start.isoformat()} to {end.isoformat()}."
        )
