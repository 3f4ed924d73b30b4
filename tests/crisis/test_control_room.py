"""The incident room as a control room: clocks to the clinic's targets (red when breached),
times in the clinic's zone with its abbreviation, the plain first line with the statistics
under details, mentions by reach and risk with the top one highlighted, and the playbook
ticked where Carewatch knows."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from crisis.models import DetectorSettings, Incident
from crisis.room import DEFAULT_PLAYBOOK, control_room, plain_line, playbook_steps
from crisis.services import detector_settings_update, detectors_run, incident_acknowledge
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream, clinic_a):
    clinic_a.timezone = "America/New_York"
    clinic_a.save(update_fields=["timezone"])
    detector_settings_update(actor=acting("test"), watch_words=["needles"])
    stream.add(NOW - 9 * MIN, label="negative", text="They reuse needles, quiet one")
    stream.add(
        NOW - 5 * MIN,
        label="negative",
        text="They reuse needles! Share this",
        engagement=(1200, 300, 90),
        flags=[{"name": "misinformation", "evidence": ["reuse needles"]}],
    )
    stream.add(NOW - 3 * MIN, label="negative", text="Reuse needles? asking", engagement=(5, 0, 0))
    # the watch word (all three mentions) and the viral post open incidents
    return max(detectors_run(now=NOW, notify=False), key=lambda i: i.links.count())


def test_the_plain_first_line_for_a_surge_names_the_weekday_and_time_of_day():
    incident = SimpleNamespace(
        kind="surge",
        title="Negative surge: 38 in 2 h",
        opened_at=NOW,  # Wednesday 15:00 UTC = 10:00 in New York
        trigger={"numbers": {"count": 38, "window_minutes": 120, "ratio": 301.4}},
    )
    line = plain_line(incident, clinic_zone(SimpleNamespace(timezone="America/New_York")))
    assert (
        line
        == "38 negative mentions in 2 hours — about 301 times the usual for a Wednesday morning"
    )


def test_the_playbook_comes_from_the_plan_or_the_seeds_default():
    assert playbook_steps("") == DEFAULT_PLAYBOOK
    plan = "Our plan\n1. Acknowledge within 15 minutes\n2. Assemble the team\n- Pin the statement\nnotes"
    assert playbook_steps(plan) == [
        ("acknowledged", "Acknowledge within 15 minutes"),
        ("team", "Assemble the team"),
        ("statement_published", "Pin the statement"),
    ]


def test_clocks_turn_red_when_breached_and_times_show_the_clinic_zone(incident, clinic_a):
    with schema_context(clinic_a.schema_name):
        DetectorSettings.objects.update_or_create(pk=1, defaults={"ack_target_minutes": 10})
        fresh = Incident.objects.get(pk=incident.pk)
        room = control_room(fresh, clinic_a, now=fresh.opened_at + 5 * MIN)
        ack, reply, statement = room["clocks"]
        assert (ack["label"], ack["words"], ack["breached"]) == (
            "Acknowledge",
            "5 minutes left",
            False,
        )
        assert reply["target"] == "1 hour" and statement["target"] == "3 hours"
        assert ack["due"].endswith(" EST")  # March 4th: New York on standard time
        late = control_room(fresh, clinic_a, now=fresh.opened_at + 25 * MIN)
        assert (
            late["clocks"][0]["breached"] and late["clocks"][0]["words"] == "overdue by 15 minutes"
        )
        # acknowledged: the clock stops and the playbook ticks the step
        incident_acknowledge(incident_id=fresh.pk, actor=acting("Sam"))
        fresh.refresh_from_db()
        done = control_room(fresh, clinic_a, now=fresh.opened_at + 60 * MIN)
        assert done["clocks"][0]["done"] and not done["clocks"][0]["words"].startswith("overdue")
        ticks = {s["key"]: s["done"] for s in done["playbook"]}
        assert ticks["acknowledged"] is True and ticks["team"] is False
        assert ticks["statement_drafted"] is False and ticks["review"] is False


def test_the_room_leads_with_the_plain_line_clocks_and_the_top_mention(incident, login):
    html = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert html.index('data-testid="plain-line"') < html.index("<details><summary>Details")
    assert html.count('data-testid="clock"') == 3
    assert "clock-late" in html  # opened at NOW, long ago: every clock is breached
    assert " EST" in html
    # the viral, flagged mention is on top and highlighted
    # (the resolve checklist above names the unanswered high-reach one too: read the table)
    table = html[html.index('id="mentions-h"') :]
    top = table.index('data-testid="top-mention"')
    assert table.index("They reuse needles! Share this") > top
    assert table.index("They reuse needles! Share this") < table.index("Reuse needles? asking")
    assert "misinformation" in table[top : top + 1500]
    assert html.count('data-step="') == len(DEFAULT_PLAYBOOK)
