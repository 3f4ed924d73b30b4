"""What the clinic's people read about an incident (e-mails, chat, the portal) says the
trigger in words and times in the clinic's zone; the statistics stay in the agency's room. A
repeated claim's key words never include the clinic's own name."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from clinics.models import Clinic, clinic_zone
from core.text import duration_said
from crisis.detectors import duration
from crisis.models import Incident
from crisis.room import trigger_words
from crisis.services import detectors_run, incident_notify_opened, incidents_escalate_due
from crisis.services.alerting import slack_message, teams_message
from tests.crisis.conftest import NOW

MIN = timedelta(minutes=1)
NEW_YORK = SimpleNamespace(timezone="America/New_York")
# as the surge detector wrote it on the walk-through's crisis day
SURGE_EXPLANATION = (
    "13 negative reviews and mentions in 2 h against a baseline of 0.0 ± 0.2 for this weekday "
    "and time of day (last 28 days, 0 negatives); 496.0× the usual, p = 3.1e-27 (alerts at ≥ 5 "
    "and p ≤ 0.0001)."
)
SURGE_WORDS = "13 negative mentions in 2 hours — usually none for a Wednesday morning."
STATISTICS = ("p = ", "±", "p ≤", "baseline", "×", "UTC")


@pytest.fixture
def riverside(clinic_a, in_clinic_a):
    """Clinic A as the walk-through's clinic: its name and New York time (10:00 at NOW)."""
    Clinic.objects.filter(pk=clinic_a.pk).update(
        name="Riverside Family Dental", timezone="America/New_York"
    )
    return Clinic.objects.get(pk=clinic_a.pk)


@pytest.fixture
def surge_incident(riverside) -> Incident:
    return Incident.objects.create(
        kind="surge",
        title="Negative surge: 13 in 2 h",
        severity="critical",
        trigger={
            "kind": "surge",
            "explanation": SURGE_EXPLANATION,
            "numbers": {"count": 13, "window_minutes": 120, "ratio": 496.0, "p_value": 3.1e-27},
        },
        opened_at=NOW,
        last_detected_at=NOW,
    )


def test_the_alert_e_mail_says_the_trigger_in_words_at_the_clinics_time(surge_incident, mailoutbox):
    # when the alert goes out
    incident_notify_opened(incident_id=surge_incident.pk)
    # then every e-mail says the trigger in words and the opening time in the clinic's zone
    assert len(mailoutbox) == 4
    for mail in mailoutbox:
        assert SURGE_WORDS in mail.body
        assert "Opened: 2026-03-04 10:00 EST." in mail.body
        assert not [s for s in STATISTICS if s in mail.body], mail.body


def test_the_escalation_e_mail_says_the_trigger_in_words_at_the_clinics_time(
    surge_incident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 15 * MIN) == [surge_incident]
    assert len(mailoutbox) == 4
    for mail in mailoutbox:
        assert SURGE_WORDS in mail.body
        assert "Opened: 2026-03-04 10:00 EST" in mail.body
        assert not [s for s in STATISTICS if s in mail.body], mail.body


def test_chat_messages_say_the_trigger_in_words(surge_incident, riverside):
    slack = slack_message(clinic=riverside, incident=surge_incident, ack="A", room="R")
    assert slack["blocks"][1]["text"]["text"].endswith("\n" + SURGE_WORDS)
    teams = teams_message(clinic=riverside, incident=surge_incident, ack="A", room="R")
    assert SURGE_WORDS in str(teams) and "p = " not in str(teams)


def test_a_repeated_claims_key_words_leave_out_the_clinics_name(riverside, social):
    # given four flagged mentions over 70 minutes, each naming the clinic
    flag = [{"name": "misinformation", "evidence": [], "probability": 0.9}]
    texts = [
        "Riverside Family Dental reuses needles, avoid them",
        "PSA: Riverside Family Dental reuses needles. Saw it",
        "Heard Riverside Dental reuses needles on patients",
        "riverside family dental reuse needles?? disgusting",
    ]
    for at, text in zip((80, 60, 30, 10), texts, strict=True):
        social.item(NOW - at * MIN, label="negative", kind="mention", text=text, flags=flag)
    social.flush()
    # when the detectors run
    [incident] = detectors_run(now=NOW, notify=False)
    # then the claim is about needles and reuse, not about Riverside Family Dental
    numbers = incident.trigger["numbers"]
    assert {"needle", "reuse"} <= set(numbers["shared_words"])
    assert not {"riverside", "family", "dental"} & set(numbers["shared_words"])
    assert "riverside" not in incident.trigger["explanation"].lower()
    # and the staff's explanation says the span plainly, the clinic's words say it in words
    assert "within 70 min on facebook" in incident.trigger["explanation"]
    said = trigger_words(
        incident.kind, numbers, at=incident.opened_at, tz=None, clinic_name=riverside.name
    )
    assert said.startswith("4 mentions repeated one false claim (“")
    assert said.endswith("”) within 70 minutes.")


def test_old_key_words_with_the_clinics_name_are_left_out_of_the_words():
    numbers = {
        "cluster_size": 14,
        "shared_words": ["needle", "reuse", "family", "dental", "riverside"],
        "window_hours": 48,
    }
    said = trigger_words(
        "misinformation", numbers, at=NOW, tz=None, clinic_name="Riverside Family Dental"
    )
    assert said == "14 mentions repeated one false claim (“needle”, “reuse”) in the last 2 days."


@pytest.mark.parametrize(
    ("kind", "numbers", "said"),
    [
        (
            "surge",
            {"count": 13, "window_minutes": 120, "ratio": 496.0},
            SURGE_WORDS,
        ),
        (
            "rating_drop",
            {"count": 9, "window_hours": 24, "mean": 1.4, "low_count": 8, "baseline_mean": 4.6},
            "The average rating fell to 1.4★ over 24 hours (9 ratings, 8 of them 1–2★), against "
            "the usual 4.6★.",
        ),
        (
            "watch_word",
            {"count": 1, "window_hours": 24, "word": "lawsuit", "negative": 1},
            "1 mention in 24 hours used the watch word “lawsuit” (1 of them negative).",
        ),
        (
            "viral",
            {"engagement": 1750, "gained": 900, "hours": 0.75, "times_usual": 85.3},
            "A post gained 900 likes, shares and replies in 45 minutes (1,750 in all), about 85 "
            "times faster than the clinic's busiest posts.",
        ),
        (
            "misinformation",
            {"engagement": 1750, "window_hours": 48},
            "A false claim reached 1,750 likes, shares and replies.",
        ),
        (
            # a clinic that usually has a few: the ratio is worth saying (13 against about 2)
            "surge",
            {"count": 13, "window_minutes": 120, "ratio": 6.5},
            "13 negative mentions in 2 hours — about 6.5 times the usual for a Wednesday morning.",
        ),
        (
            # half a negative usual in such a window is the edge: still "times the usual"
            "surge",
            {"count": 12, "window_minutes": 120, "ratio": 24.0},
            "12 negative mentions in 2 hours — about 24 times the usual for a Wednesday morning.",
        ),
        ("surge", {"count": 4, "window_minutes": 120}, "4 negative mentions in 2 hours."),
        ("surge", {"count": 13}, ""),  # too little to say: the caller shows the title
        ("misinformation", {"cluster_size": 3}, ""),
    ],
    ids=[
        "surge",
        "rating",
        "watch-word",
        "viral",
        "false-claim",
        "surge-usual-few",
        "surge-usual-half",
        "surge-no-ratio",
        "surge-short",
        "claim-short",
    ],
)
def test_each_trigger_in_words(kind, numbers, said):
    assert trigger_words(kind, numbers, at=NOW, tz=clinic_zone(NEW_YORK)) == said


@pytest.mark.parametrize(
    ("minutes", "said", "short"),
    [
        (1, "1 minute", "1 min"),
        (45, "45 minutes", "45 min"),
        (60, "1 hour", "1 h"),
        (70, "70 minutes", "70 min"),
        (90, "90 minutes", "1.5 h"),
        (120, "2 hours", "2 h"),
        (200, "about 3.5 hours", "3.3 h"),
        (48 * 60, "2 days", "2 days"),
    ],
)
def test_durations_in_words_and_short(minutes, said, short):
    assert duration_said(minutes) == said
    assert duration(timedelta(minutes=minutes)) == short
