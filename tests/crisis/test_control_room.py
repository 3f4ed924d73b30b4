"""The incident room as a control room: clocks to the clinic's targets (red when breached),
times in the clinic's zone with its abbreviation, the plain first line with the statistics
under details, mentions by reach and risk with the top one highlighted, and the playbook
ticked where Carewatch knows."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from clinics.models import ClinicMembership, clinic_zone
from crisis.models import DetectorSettings, Incident, IncidentStatement
from crisis.room import DEFAULT_PLAYBOOK, control_room, plain_line, playbook_steps
from crisis.services import detector_settings_update, detectors_run, incident_acknowledge
from responses.models import Statement
from tests.crisis.conftest import HOUR, NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream, clinic_a):
    # the row is rolled back; the process-wide object is reset after (a later test of this
    # process read New York time from it: the channel-notice tests' dates, CI at 9ea9f8b)
    before = clinic_a.timezone
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
    yield max(detectors_run(now=NOW, notify=False), key=lambda i: i.links.count())
    clinic_a.timezone = before


def test_the_plain_first_line_for_a_surge_names_the_weekday_and_time_of_day():
    incident = SimpleNamespace(
        kind="surge",
        title="Negative surge: 38 in 2 h",
        opened_at=NOW,  # Wednesday 15:00 UTC = 10:00 in New York
        trigger={"numbers": {"count": 38, "window_minutes": 120, "ratio": 301.4}},
    )
    line = plain_line(incident, clinic_zone(SimpleNamespace(timezone="America/New_York")))
    assert line == "38 negative mentions in 2 hours — usually none for a Wednesday morning"


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
    assert ">Misinformation<" in table[top : top + 1500]  # the flag in words
    assert html.count('data-step="') == len(DEFAULT_PLAYBOOK)


def _team_step(room: dict) -> dict:
    return next(s for s in room["playbook"] if s["key"] == "team")


def test_the_playbook_and_the_team_panel_count_the_clinics_crisis_team(
    incident, clinic_a, world, login
):
    # given the clinic's crisis team: A Approver (comms) and A Legal (legal), nobody assigned
    # for the incident itself
    with schema_context(clinic_a.schema_name):
        room = control_room(Incident.objects.get(pk=incident.pk), clinic_a)
    step = _team_step(room)
    assert (step["done"], step["detail"]) == (
        False, "2 of 4 roles covered by the clinic's crisis team"
    )  # fmt: skip
    assert [(r["value"], r["who"]) for r in room["team"]] == [
        ("comms", "A Approver"), ("legal", "A Legal"), ("clinician", ""), ("social", ""),
    ]  # fmt: skip
    # the room's two panels say the same: the roles show the clinic's people, not "Nobody"
    html = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert "role(s) assigned" not in html
    assert "(2 of 4 roles covered by the clinic&#x27;s crisis team)" in html
    assert '<option value="">The clinic\'s crisis team: A Approver</option>' in html
    assert '<option value="">The clinic\'s crisis team: A Legal</option>' in html
    assert html.count('<option value="">Nobody</option>') == 2

    # when the missing roles are assigned for the incident, the step is done
    # (the clinician is the clinic's own: agency staff cannot hold it, walk 13 A #12)
    cam = User.objects.create_user(email="cam.clinician@a.example", full_name="Cam Clinician")
    ClinicMembership.objects.create(
        clinic=clinic_a, user=cam, role="viewer", crisis_roles=["clinician"]
    )
    writer = login("alpha_writer")
    writer.post(
        f"/clinics/clinic-a/incidents/{incident.pk}/",
        {"action": "assign_all", "role_clinician": cam.pk,
         "role_social": world.users["alpha_manager"].pk},
    )  # fmt: skip
    with schema_context(clinic_a.schema_name):
        room = control_room(Incident.objects.get(pk=incident.pk), clinic_a)
    step = _team_step(room)
    assert (step["done"], step["detail"]) == (
        True, "4 of 4 roles covered: 2 assigned for this incident, the rest by the clinic's "
        "crisis team",
    )  # fmt: skip
    assert [r["who"] for r in room["team"]] == [
        "A Approver", "A Legal", "Cam Clinician", "Alpha Manager",
    ]  # fmt: skip


def _clocks(room) -> dict[str, tuple[str, str]]:
    return {c["label"]: (c["state"], c["words"]) for c in room["clocks"]}


def test_the_first_public_response_counts_the_statement_and_clocks_stop_once_resolved(
    incident, clinic_a
):
    # given a statement from the incident published 4 minutes after the alert, and no reply
    with schema_context(clinic_a.schema_name):
        DetectorSettings.objects.update_or_create(
            pk=1,
            defaults={
                "ack_target_minutes": 15,
                "response_target_minutes": 60,
                "statement_target_minutes": 180,
            },
        )
        fresh = Incident.objects.get(pk=incident.pk)
        opened = fresh.opened_at
        statement = Statement.objects.create(
            title="About the needles",
            status="published",
            published_at=opened + 4 * MIN,
            author_label="user:1",
        )
        IncidentStatement.objects.create(incident=fresh, statement=statement, added_at=opened)
        # while it runs, the statement is the first public response (as the review counts it)
        running = _clocks(control_room(fresh, clinic_a, now=opened + 10 * MIN))
        assert running["First public response (statement or reply)"] == (
            "met",
            "met: done 56 minutes early",
        )
        assert running["Acknowledge"] == ("running", "5 minutes left")
        # when it is resolved 10 minutes in, without an acknowledgement
        Incident.objects.filter(pk=fresh.pk).update(
            status="resolved", resolved_at=opened + 10 * MIN
        )
        fresh.refresh_from_db()
        # then no clock counts down any more, however late it is read
        done = _clocks(control_room(fresh, clinic_a, now=opened + 5 * HOUR))
        assert done == {
            "Acknowledge": (
                "not_needed",
                "not needed: the incident was resolved before it was due",
            ),
            "First public response (statement or reply)": ("met", "met: done 56 minutes early"),
            "Official statement": ("met", "met: done 2.9 hours early"),
        }
        # resolved after a target passed with nothing done: missed
        Statement.objects.filter(pk=statement.pk).update(status="draft", published_at=None)
        Incident.objects.filter(pk=fresh.pk).update(resolved_at=opened + 90 * MIN)
        fresh.refresh_from_db()
        late = _clocks(control_room(fresh, clinic_a, now=opened + 5 * HOUR))
        assert late["First public response (statement or reply)"] == (
            "missed",
            "missed: not done before the incident was resolved",
        )
        assert late["Official statement"][0] == "not_needed"
