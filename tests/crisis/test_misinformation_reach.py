"""A single false claim with high reach opens (or escalates) a misinformation incident, however
small the surge; in the live run and in the `detect_crises` replay alike."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

from django.core.management import call_command

from crisis.models import EventKind, Incident
from crisis.services import detector_settings_update, detectors_run
from tests.crisis.conftest import NOW, acting, calm_baseline

MIN = timedelta(minutes=1)
CLAIM = "Riverside Family Dental reuses needles on patients"


def _flag(claim: str = CLAIM, probability: float = 0.93) -> list[dict]:
    """The misinformation flag as the scorer writes it."""
    return [
        {
            "name": "misinformation",
            "evidence": [claim],
            "probability": probability,
            "claim": claim,
            "contradicts": {
                "kind": "fact",
                "slug": "single-use-needles",
                "statement": "Every needle and syringe we use is single-use.",
                "similarity": 0.81,
            },
        }
    ]


def _run(now=NOW):
    return detectors_run(now=now, notify=False)


def test_one_false_claim_with_high_reach_opens_one_incident(stream, social):
    # given a calm month and one flagged post with 1,590 engagements, posted 3 hours ago
    calm_baseline(stream, per_day=20)
    post = social.add(
        NOW - 180 * MIN,
        label="negative",
        kind="mention",
        text=f"PSA: {CLAIM}. Share this!",
        engagement=(1200, 300, 90),
        flags=_flag(),
    )
    # when the detectors run
    [incident] = _run()
    # then one misinformation incident, critical (over 4x the reach threshold), with the claim
    assert incident.kind == "misinformation"
    assert incident.severity == "critical"
    assert incident.title == "False claim with high reach on facebook: 1590 engagements"
    numbers = incident.trigger["numbers"]
    assert numbers["review_id"] == post.pk
    assert numbers["engagement"] == 1590
    assert numbers["contradicts"] == "single-use-needles"
    assert numbers["claim"] == CLAIM
    assert "contradicting “single-use-needles”" in incident.trigger["explanation"]
    assert list(incident.mentions.values_list("pk", flat=True)) == [post.pk]
    # and the viral detector, which sees the same post, does not open a second one
    assert Incident.objects.count() == 1
    assert incident.events.filter(kind=EventKind.ALSO_DETECTED, data__kind="viral").exists()
    assert _run(now=NOW + 15 * MIN) == []


def test_a_flagged_claim_below_the_reach_threshold_opens_nothing(stream, social):
    calm_baseline(stream, per_day=20)
    social.add(
        NOW - 60 * MIN, label="negative", kind="mention", text=CLAIM, engagement=(200, 30, 19),
        flags=_flag(),
    )  # fmt: skip
    assert _run() == []
    # and a post with that reach but no misinformation flag is not a misinformation incident
    assert not Incident.objects.filter(kind="misinformation").exists()


def test_the_reach_threshold_is_a_clinic_setting(stream, social):
    calm_baseline(stream, per_day=20)
    social.add(
        NOW - 60 * MIN, label="negative", kind="mention", text=CLAIM, engagement=(80, 10, 10),
        flags=_flag(),
    )  # fmt: skip
    assert _run() == []
    detector_settings_update(actor=acting("Max Manager"), misinformation_min_reach=100)
    [incident] = _run(now=NOW + MIN)
    assert incident.kind == "misinformation"
    assert incident.severity == "high"
    assert incident.trigger["numbers"]["min_reach"] == 100


def test_a_high_reach_claim_escalates_the_running_misinformation_incident(stream, social):
    # given a medium incident opened by three mentions repeating a claim
    calm_baseline(stream, per_day=20)
    for n in range(3):
        social.item(
            NOW - (200 - 30 * n) * MIN, label="negative", kind="mention",
            text=f"heard riverside reuses needles on patients {n}", flags=_flag(),
        )  # fmt: skip
    social.flush()
    [incident] = _run(now=NOW - 100 * MIN)
    assert incident.severity == "medium"
    # when one more copy of the claim goes viral
    social.add(
        NOW - 30 * MIN, label="negative", kind="mention", text=CLAIM, engagement=(500, 100, 40),
        flags=_flag(),
    )  # fmt: skip
    assert _run() == []
    # then the same incident is raised to high, with the post linked
    incident.refresh_from_db()
    assert incident.severity == "high"
    assert incident.links.count() == 4
    raised = incident.events.get(kind=EventKind.SEVERITY_RAISED)
    assert "Severity raised from medium to high" in raised.message
    assert "640 likes, shares and replies" in raised.message
    assert (raised.data["severity_from"], raised.data["severity_to"]) == ("medium", "high")


def test_detect_crises_replays_a_single_high_reach_false_claim_as_one_incident(stream, social):
    # given a calm month with one viral false claim a day ago
    calm_baseline(stream, per_day=30)
    at = NOW - timedelta(days=1)
    social.add(
        at, label="negative", kind="mention", text=CLAIM, engagement=(1200, 300, 90),
        flags=_flag(),
    )  # fmt: skip
    # when the last three days are replayed
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "detect_crises", "--clinic", "clinic-a", "--from", (NOW - timedelta(days=3)).isoformat(),
        "--to", NOW.isoformat(), stdout=out, stderr=err,
    )  # fmt: skip
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    # then exactly one incident: the misinformation one, opened at the first step after it
    assert [line["kind"] for line in lines] == ["misinformation"]
    assert lines[0]["numbers"]["engagement"] == 1590
    assert lines[0]["mentions"] == 1
    assert at <= datetime.fromisoformat(lines[0]["opened_at"]) <= at + 15 * MIN
    assert "clinic-a: 1 incident(s)" in err.getvalue()
    assert Incident.objects.count() == 0
