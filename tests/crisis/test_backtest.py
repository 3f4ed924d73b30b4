"""`manage.py detect_crises`: replays history, prints JSON lines, stores nothing."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from crisis.models import EngagementSample, Incident
from tests.crisis.conftest import NOW, calm_baseline

SURGE_AT = NOW - timedelta(days=2, hours=3)


def _replay(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("detect_crises", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_a_replay_prints_the_incident_it_would_have_opened_and_stores_nothing(stream, mailoutbox):
    # given a calm month with one surge two days ago
    calm_baseline(stream, per_day=30)
    for n in range(16):
        stream.item(SURGE_AT + n * timedelta(minutes=3), label="negative", rating=1)
    stream.flush()
    # when the last four days are replayed
    lines, summary = _replay(
        "--clinic",
        "clinic-a",
        "--from",
        (NOW - timedelta(days=4)).isoformat(),
        "--to",
        NOW.isoformat().replace("+00:00", "Z"),
    )
    # then exactly one incident, a surge, opens within half an hour of its start
    assert [line["kind"] for line in lines] == ["surge"]
    opened = datetime.fromisoformat(lines[0]["opened_at"])
    assert SURGE_AT < opened <= SURGE_AT + timedelta(minutes=30)
    assert "negative reviews and mentions in 2 h against a baseline of" in lines[0]["explanation"]
    assert lines[0]["numbers"]["count"] >= 5
    assert "clinic-a: 1 incident(s) in 385 evaluations" in summary
    # and nothing was stored or sent
    assert Incident.objects.count() == 0
    assert EngagementSample.objects.count() == 0
    assert mailoutbox == []


def test_a_replay_of_quiet_history_prints_nothing(stream):
    calm_baseline(stream, per_day=20, days=20)
    lines, summary = _replay(
        "--clinic", "clinic-a", "--from", "2026-03-01", "--to", "2026-03-02", "--step-minutes", "60"
    )
    assert lines == []
    assert "0 incident(s) in 25 evaluations" in summary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clinic", "nope", "--from", "2026-03-01", "--to", "2026-03-02"], "No clinic"),
        (["--clinic", "clinic-a", "--from", "yesterday", "--to", "2026-03-02"], "--from"),
        (["--clinic", "clinic-a", "--from", "2026-03-01", "--to", "2026-13-02"], "--to"),
        (["--clinic", "clinic-a", "--from", "2026-03-02", "--to", "2026-03-01"], "before"),
        (["--clinic", "clinic-a", "--from", "2024-01-01", "--to", "2026-03-01"], "366 days"),
        (
            [
                "--clinic",
                "clinic-a",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--step-minutes",
                "0",
            ],
            "--step-minutes",
        ),
    ],
    ids=["unknown clinic", "bad from", "bad to", "from after to", "too long", "bad step"],
)
def test_bad_arguments_are_clear_errors(in_clinic_a, args, message):
    with pytest.raises(CommandError, match=message):
        _replay(*args)
