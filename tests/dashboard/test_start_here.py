"""The dashboard's "Start here" panel: for a new staff member, the first things to do in their
role, each with its live state and a link; done when done; put away and shown again per person;
never a step their role cannot take; a bounded number of queries however many clinics."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency.models import Agency
from agency.views import MANAGING
from clinics.access import AGENCY_ROLE_GRANTS, agency_roles_granting
from clinics.models import Clinic, ClinicMembership, NoticeTold, Notification
from clinics.notifications import preference_set
from core.permissions import Permission
from dashboard.models import ClinicSnapshot, StartHere
from dashboard.selectors import START_HERE_NEEDS, start_here_keys, start_here_steps

ROLES = ("owner", "manager", "writer", "analyst")
EXPECTED = {
    "owner": ["people", "two_factor", "branding", "api_keys", "approvals"],
    "manager": ["approvals", "crisis_team", "waiting", "people"],
    "writer": ["waiting", "drafts", "notifications"],
    "analyst": ["attention", "incidents", "reports", "notifications"],
}


def _panel(html: str) -> str:
    found = re.search(r'<section class="card start-here".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _steps(html: str) -> dict[str, dict]:
    """key -> {"done", "href", "text"} of each step of the panel, in its order."""
    steps = {}
    for key, done, body in re.findall(
        r'<li data-key="(\w+)" data-done="([01])".*?>(.*?)</li>', _panel(html), re.S
    ):
        href = re.search(r'<a href="([^"]+)">', body).group(1)
        what = re.search(r'<span class="what">(.*)</span>', body, re.S).group(1)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", what)).strip()
        text = htmllib.unescape(text)
        steps[key] = {"done": done == "1", "href": href, "text": text}
    return steps


def _told(user, clinic, *, kind: str, ref: str, title: str, url: str) -> None:
    """What `people_notify` writes for a person who keeps the banner: the open message, and
    the record that they were told (what the panel counts, whatever their channels)."""
    Notification.objects.create(user=user, clinic=clinic, kind=kind, ref=ref, title=title, url=url)
    NoticeTold.objects.create(user=user, clinic=clinic, kind=kind, ref=ref)


def _dashboard(client) -> str:
    response = client.get("/agency/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_shown_its_own_first_steps(login, world, role):
    html = _dashboard(login(f"alpha_{role}"))
    assert list(_steps(html)) == EXPECTED[role]
    assert f"Your role: {role.title()} — " in _panel(html)


@pytest.mark.parametrize("role", ROLES)
def test_a_role_is_never_offered_a_step_it_cannot_take(login, world, role):
    # by the one rule: each step's permission is among the role's grants
    granted = AGENCY_ROLE_GRANTS[role]
    assert all(START_HERE_NEEDS[key] in granted for key in start_here_keys(role))
    # and in fact: every link of the panel opens for that person (no 403, no 404)
    client = login(f"alpha_{role}")
    for key, step in _steps(_dashboard(client)).items():
        response = client.get(step["href"], follow=True)
        assert response.status_code == 200, (role, key, step["href"])
    # a step of another role's list is not theirs to open
    others = {k for keys in EXPECTED.values() for k in keys} - set(EXPECTED[role])
    for key in others:
        assert client.get(f"/agency/start-here/open/{key}/").status_code == 404, (role, key)


def test_the_staff_pages_and_the_panel_follow_the_same_rule():
    assert set(MANAGING) == set(agency_roles_granting(Permission.MANAGE))
    assert (
        set(start_here_keys("writer")) & {"people", "two_factor", "branding", "api_keys"} == set()
    )


def test_the_owners_steps_say_where_the_agency_stands_and_turn_done(login, world):
    owner = login("alpha_owner")
    steps = _steps(_dashboard(owner))
    assert steps["people"] == {
        "done": True,
        "href": "/agency/settings/people/",
        "text": "Done: Invite your team 4 people in the agency.",
    }
    assert steps["two_factor"]["done"] and "On for all 4 people." in steps["two_factor"]["text"]
    assert not steps["branding"]["done"] and "no logo yet" in steps["branding"]["text"]
    assert steps["api_keys"]["done"] and "4 keys working." in steps["api_keys"]["text"]
    assert steps["approvals"]["done"]

    # given the writer has no authenticator app
    TOTPDevice.objects.filter(user=world.users["alpha_writer"]).delete()
    steps = _steps(_dashboard(owner))
    assert not steps["two_factor"]["done"]
    assert "Off for 1 person: Alpha Writer" in steps["two_factor"]["text"]
    assert 'data-testid="start-here-progress">3 of 5 done<' in _dashboard(owner)
    # and once the agency has its logo (an agency read afresh, not the session's)
    agency = Agency.objects.get(pk=world.agencies["alpha"].pk)
    agency.logo.name = "agency-logos/alpha.png"
    [branding] = start_here_steps(
        user=world.users["alpha_owner"], agency=agency, role="owner", totals={}, only="branding"
    )
    assert branding["done"] and branding["detail"] == "Clinics read “Alpha Agency”, with your logo."


def test_the_managers_approvals_and_crisis_team_are_live(login, world, clinic_a, clinic_b):
    manager = world.users["alpha_manager"]
    for n, clinic in enumerate([clinic_b, clinic_b, clinic_a]):
        _told(
            manager, clinic, kind="approval", ref=f"reply:{900 + n}",
            title="A reply waits for your agency approval",
            url=f"/clinics/{clinic.slug}/replies/review/{900 + n}/",
        )  # fmt: skip
    client = login("alpha_manager")
    steps = _steps(_dashboard(client))
    assert steps["approvals"] == {
        "done": False,
        "href": "/clinics/clinic-b/replies/review/900/",
        "text": "To do: Give the agency's approval 3 texts wait for your approval, 2 in Clinic B.",
    }
    # Clinic A has an approver and a legal person; Clinic B has no legal person
    assert steps["crisis_team"]["href"] == "/clinics/clinic-b/settings/people/"
    assert (
        "1 clinic without an approver or a legal / compliance person: Clinic B."
        in (steps["crisis_team"]["text"])
    )
    assert not steps["crisis_team"]["done"]

    # when the approvals are given and Clinic B names its legal person
    Notification.objects.filter(user=manager).update(open=False)
    NoticeTold.objects.filter(user=manager).delete()  # as `notifications_close` does
    ClinicMembership.objects.filter(clinic=clinic_b, user=world.users["b_approver"]).update(
        crisis_roles=["legal"]
    )
    steps = _steps(_dashboard(client))
    assert steps["approvals"]["done"] and steps["crisis_team"]["done"]


def test_the_writers_steps_are_live(login, world, clinic_a):
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic_a,
        defaults={"agency": clinic_a.agency, "refreshed_at": timezone.now(), "sla_breaches": 2},
    )
    writer = world.users["alpha_writer"]
    _told(
        writer, clinic_a, kind="draft", ref="reply:77:draft",
        title="Your draft, not submitted yet", url="/clinics/clinic-a/replies/review/77/",
    )  # fmt: skip
    client = login("alpha_writer")
    steps = _steps(_dashboard(client))
    assert steps["waiting"] == {
        "done": False,
        "href": "/agency/waiting/",
        "text": "To do: Answer the reviews waiting for a reply 2 reviews past the reply target "
        "wait for a reply in Clinic A.",
    }
    assert steps["drafts"]["href"] == "/clinics/clinic-a/replies/review/77/"
    assert "1 draft of yours not submitted yet in Clinic A." in steps["drafts"]["text"]
    assert not steps["notifications"]["done"]

    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    assert _steps(_dashboard(client))["notifications"]["done"]


def test_the_analyst_reads_a_report_from_the_panel_and_it_is_done(login, world):
    client = login("alpha_analyst")
    steps = _steps(_dashboard(client))
    assert not steps["reports"]["done"]
    assert steps["reports"]["href"] == "/agency/start-here/open/reports/"
    opened = client.get(steps["reports"]["href"])
    assert (opened.status_code, opened["Location"]) == (302, "/clinics/clinic-a/report/")
    assert _steps(_dashboard(client))["reports"]["done"]


def test_the_panel_put_away_stays_away_after_signing_out_until_shown_again(login, world):
    client = login("alpha_writer")
    assert _panel(_dashboard(client))
    # when the writer hides it
    response = client.post("/agency/start-here/", {"action": "dismiss"})
    assert (response.status_code, response["Location"]) == (302, "/agency/")
    assert _panel(_dashboard(client)) == ""
    # then it stays hidden in another session (signed out and in again), for them only
    again = login("alpha_writer")
    assert _panel(_dashboard(again)) == ""
    assert _panel(_dashboard(login("alpha_analyst")))
    # the account page shows it again
    account = again.get("/account/").content.decode()
    assert 'data-testid="start-here-reopen"' in account
    response = again.post("/agency/start-here/", {"action": "reopen"})
    assert (response.status_code, response["Location"]) == (302, "/agency/#start-here")
    assert list(_steps(_dashboard(client))) == EXPECTED["writer"]


def test_a_bad_action_is_refused_and_changes_nothing(login, world):
    client = login("alpha_writer")
    response = client.post("/agency/start-here/", {"action": "forget"})
    assert response.status_code == 400
    assert "choose “dismiss” or “reopen”" in response.content.decode()
    assert not StartHere.objects.filter(user=world.users["alpha_writer"]).exists()


def test_people_outside_the_agencys_staff_have_no_panel_to_change(login, world):
    client = login("a_approver")
    assert client.post("/agency/start-here/", {"action": "dismiss"}).status_code == 404
    assert client.get("/agency/start-here/open/reports/").status_code == 404
    assert not StartHere.objects.exists()
    assert Client().post("/agency/start-here/", {"action": "dismiss"}).status_code == 302


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agency/").status_code == 200
    return len(queries)


def _clinics(world, role: str, numbers) -> None:
    """Clinics of Alpha (rows only: the panel reads the public schema), each with breaches,
    an incident and a text waiting for the person's approval."""
    agency = world.agencies["alpha"]
    for n in numbers:
        clinic = Clinic.objects.create(
            agency=agency, slug=f"many-{n}", name=f"Many {n:02}", schema_name=f"clinic_many_{n}"
        )
        ClinicSnapshot.objects.create(
            clinic=clinic, agency=agency, refreshed_at=timezone.now(), sla_breaches=1 + n % 3,
            open_incidents=1, top_severity=1 + n % 4, top_incident_id=n, awaiting_approval=1,
        )  # fmt: skip
        _told(
            world.users[f"alpha_{role}"], clinic, kind="approval",
            ref=f"reply:{n}", title="A reply waits", url=f"/clinics/many-{n}/replies/",
        )  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_the_panel_costs_the_same_with_40_clinics(login, world, role):
    client = login(f"alpha_{role}")
    # given two clinics with something to do, and then 38 more
    _clinics(world, role, range(2))
    _dashboard(client)  # warm the session
    few = _queries(client)
    _clinics(world, role, range(2, 40))
    # then the page costs the same, panel included
    many = _queries(client)
    assert many == few, (role, few, many)
    # and what the panel itself adds is a handful of queries
    client.post("/agency/start-here/", {"action": "dismiss"})
    without = _queries(client)
    assert many - without <= 8, (role, many, without)
    print(f"start-here {role}: page {many} queries with 42 clinics, panel {many - without}")


def test_a_writer_limited_to_some_clinics_reads_their_role_of_those_clinics(login, world, clinic_a):
    """Walk 14: a writer limited to one clinic read "drafts replies ... of every clinic the
    agency looks after" on their first dashboard (their invitation named the clinic)."""
    from agency.models import AgencyMembership
    from agency.services import agency_member_clinics_set

    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    agency_member_clinics_set(
        membership=membership, all_clinics=False, clinic_ids=[clinic_a.pk], acting_role="owner"
    )

    html = htmllib.unescape(_dashboard(login("alpha_writer")))

    role = re.search(r'data-testid="start-here-role">(.*?)</p>', html, re.S).group(1)
    assert "of these clinics of the agency: Clinic A" in role, role
    assert "every clinic" not in role
