"""Choosing the clinics a writer or analyst reaches on the agency's people page: "All clinics"
(the default) or the clinics ticked. Who may choose, what is saved and logged, whom it tells,
what the person leaves behind in the clinics they no longer reach, and every bad input (a
clinic of another agency, an unknown id, none ticked, a manager) refused with a message and
nothing saved."""

from __future__ import annotations

import re

import pytest

from accounts.models import SecurityEvent, User
from agency.models import AgencyMembership, StaffClinic
from clinics.models import OnCall

PEOPLE = "/agency/settings/people/"


def _membership(world, name: str) -> AgencyMembership:
    return AgencyMembership.objects.get(user=world.users[name], agency=world.agencies["alpha"])


def _chosen(membership: AgencyMembership) -> tuple[bool, list[str]]:
    membership.refresh_from_db()
    names = StaffClinic.objects.filter(membership=membership).order_by("clinic__name")
    return membership.all_clinics, [sc.clinic.name for sc in names]


def _choose(client, membership, *clinics, reach: str = "chosen"):
    return client.post(
        PEOPLE,
        {
            "action": "clinics",
            "membership": membership.pk,
            "reach": reach,
            "clinics": [getattr(c, "pk", c) for c in clinics],
        },
    )


def _scope_events(user) -> list[dict]:
    return list(
        SecurityEvent.objects.filter(
            event="member.clinics_changed", target_user_id=user.pk, detail__has_key="clinics_to"
        )
        .order_by("id")
        .values_list("detail", flat=True)
    )


@pytest.mark.parametrize("acting", ["alpha_owner", "alpha_manager"])
def test_owners_and_managers_limit_a_writer_to_chosen_clinics_and_back(
    acting, login, world, clinic_b, mailoutbox
):
    writer = _membership(world, "alpha_writer")
    client = login(acting)
    # when the writer is limited to Clinic B
    response = _choose(client, writer, clinic_b)
    # then it is saved, said, logged, and the writer is told which clinics they work on
    assert response.status_code == 302
    assert _chosen(writer) == (False, ["Clinic B"])
    page = client.get(PEOPLE).content.decode()
    assert "writer@alpha.test now reaches only Clinic B; an e-mail tells them." in page
    row = page[page.index('data-clinics="writer@alpha.test"') :]
    assert row[: row.index("</td>")].count("checked") == 2  # "only the ticked" and Clinic B
    assert _scope_events(world.users["alpha_writer"]) == [
        {
            "role": "writer",
            "clinics_from": "all clinics",
            "clinics_to": "Clinic B",
            "clinic_ids": [clinic_b.pk],
            "added": [],
            "removed": ["Clinic A"],
        }
    ]
    [mail] = mailoutbox
    assert mail.to == ["writer@alpha.test"]
    agency = writer.agency.name
    # worded for what changed: their clinics, not their role
    assert mail.subject == f"Your clinics at {agency} changed: you now work on Clinic B only"
    assert "changed the clinics you work on" in mail.body
    assert "you now work on Clinic B only. Your role stays the same:" in mail.body
    assert "role" not in mail.subject and "changed your role" not in mail.body
    assert "these clinics of the agency: Clinic B" in mail.body
    # when they are given every clinic again
    response = _choose(client, writer, reach="all")
    assert response.status_code == 302
    assert _chosen(writer) == (True, [])
    assert _scope_events(world.users["alpha_writer"])[-1] == {
        "role": "writer",
        "clinics_from": "Clinic B",
        "clinics_to": "all clinics",
        "added": ["Clinic A"],
        "removed": [],
    }
    assert "every clinic the agency looks after" in mailoutbox[-1].body
    assert (
        mailoutbox[-1].subject == f"Your clinics at {agency} changed: you now work on every clinic"
    )
    assert "changed your role" not in mailoutbox[-1].body


def test_saving_the_same_clinics_changes_nothing_and_tells_nobody(
    login, world, clinic_b, mailoutbox
):
    analyst = _membership(world, "alpha_analyst")
    client = login("alpha_owner")
    assert _choose(client, analyst, clinic_b).status_code == 302
    events, mails = len(_scope_events(analyst.user)), len(mailoutbox)
    # when the same choice is saved again
    response = _choose(client, analyst, clinic_b)
    # then nothing is logged or sent, and the page says so
    assert response.status_code == 302
    assert "Nothing changed for analyst@alpha.test." in client.get(PEOPLE).content.decode()
    assert (len(_scope_events(analyst.user)), len(mailoutbox)) == (events, mails)


@pytest.mark.parametrize(
    ("acting", "status"),
    [("alpha_writer", 403), ("alpha_analyst", 403), ("a_approver", 404), ("beta_owner", 404)],
)
def test_only_owners_and_managers_of_the_agency_choose_clinics(
    acting, status, login, world, clinic_b, mailoutbox
):
    writer = _membership(world, "alpha_writer")
    client = login(acting, otp=acting != "a_approver")
    # Beta's owner reaches Beta's people page, where Alpha's writer is no one
    response = _choose(client, writer, clinic_b)
    assert response.status_code == status
    assert _chosen(writer) == (True, [])
    assert _scope_events(writer.user) == [] and mailoutbox == []


def _bad_inputs(world, clinic_b, clinic_c):
    return {
        "a clinic of another agency": (
            "alpha_writer",
            "chosen",
            [clinic_b.pk, clinic_c.pk],
            f"Alpha Agency has no clinic with the id {clinic_c.pk}.",
        ),
        "an unknown id": (
            "alpha_writer",
            "chosen",
            [999999],
            "Alpha Agency has no clinic with the id 999999.",
        ),
        "not an id": (
            "alpha_writer",
            "chosen",
            ["clinic-b"],
            "Alpha Agency has no clinic with the id clinic-b.",
        ),
        "none ticked": (
            "alpha_writer",
            "chosen",
            [],
            "Tick at least one clinic, or choose “All clinics”.",
        ),
        "a manager": (
            "alpha_manager",
            "chosen",
            [clinic_b.pk],
            "Managers always reach every clinic of Alpha Agency: clinics are chosen for "
            "writers and analysts.",
        ),
    }


@pytest.mark.parametrize(
    "case", ["a clinic of another agency", "an unknown id", "not an id", "none ticked", "a manager"]
)
def test_bad_clinics_are_refused_with_a_message_and_nothing_saved(
    case, login, world, clinic_b, clinic_c, mailoutbox
):
    name, reach, clinics, message = _bad_inputs(world, clinic_b, clinic_c)[case]
    membership = _membership(world, name)
    # when the form posts it
    response = _choose(login("alpha_owner"), membership, *clinics, reach=reach)
    # then the page says what is wrong, and nothing is stored, logged or sent
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was changed" in html
    assert _chosen(membership) == (True, [])
    assert _scope_events(membership.user) == [] and mailoutbox == []


def test_an_unknown_person_is_a_404(login, world, clinic_b):
    for raw in ("999999", "x", ""):
        response = login("alpha_owner").post(
            PEOPLE, {"action": "clinics", "membership": raw, "reach": "chosen", "clinics": [1]}
        )
        assert response.status_code == 404
    assert not StaffClinic.objects.exists()


def test_a_new_writer_is_added_with_their_clinics(login, world, clinic_b, mailoutbox):
    response = login("alpha_manager").post(
        PEOPLE,
        {
            "action": "add",
            "email": "freelance@alpha.test",
            "full_name": "Fran Freelance",
            "role": "writer",
            "reach": "chosen",
            "clinics": [clinic_b.pk],
        },
    )
    assert response.status_code == 302
    membership = AgencyMembership.objects.get(user__email="freelance@alpha.test")
    assert _chosen(membership) == (False, ["Clinic B"])
    # the invitation already names the one clinic they work on
    [mail] = mailoutbox
    assert "these clinics of the agency: Clinic B" in mail.body
    assert "every clinic" not in mail.body


@pytest.mark.parametrize(
    ("role", "clinics", "message"),
    [
        ("writer", "other", "Alpha Agency has no clinic with the id"),
        ("writer", "none", "Tick at least one clinic"),
        ("manager", "b", "Managers always reach every clinic"),
    ],
)
def test_adding_someone_with_bad_clinics_adds_nobody(
    role, clinics, message, login, world, clinic_b, clinic_c, mailoutbox
):
    chosen = {"other": [clinic_c.pk], "none": [], "b": [clinic_b.pk]}[clinics]
    events = SecurityEvent.objects.count()
    response = login("alpha_owner").post(
        PEOPLE,
        {
            "action": "add",
            "email": "freelance@alpha.test",
            "full_name": "Fran Freelance",
            "role": role,
            "reach": "chosen",
            "clinics": chosen,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # the form keeps what was chosen
    assert 'name="reach" value="chosen" checked' in html
    assert not User.objects.filter(email="freelance@alpha.test").exists()
    assert SecurityEvent.objects.count() == events and mailoutbox == []


def test_limiting_someone_takes_them_off_the_on_call_lists_they_no_longer_reach(
    login, world, clinic_a, clinic_b
):
    writer = world.users["alpha_writer"]
    OnCall.objects.create(clinic=clinic_a, user=writer, position=0)
    OnCall.objects.create(clinic=clinic_b, user=writer, position=0)
    client = login("alpha_owner")
    assert _choose(client, _membership(world, "alpha_writer"), clinic_b).status_code == 302
    # off Clinic A's list (nobody left there: owners and managers are alerted), on B's still
    assert list(OnCall.objects.filter(user=writer).values_list("clinic__name", flat=True)) == [
        "Clinic B"
    ]
    page = client.get(PEOPLE).content.decode()
    assert "Alpha Writer was taken off the on-call list of Clinic A" in page
    assert "Nobody is on call now for Clinic A: choose someone there." in page


def test_a_limited_writer_made_manager_reaches_every_clinic_again(
    login, world, clinic_b, mailoutbox
):
    writer = _membership(world, "alpha_writer")
    client = login("alpha_owner")
    assert _choose(client, writer, clinic_b).status_code == 302
    response = client.post(PEOPLE, {"action": "role", "membership": writer.pk, "role": "manager"})
    assert response.status_code == 302
    assert _chosen(writer) == (True, [])
    # their role and their clinics changed in that one save: one e-mail says both
    assert len(mailoutbox) == 2
    assert mailoutbox[-1].subject == (
        f"Your role and clinics at {writer.agency.name} changed: you now work on every clinic"
    )
    assert "changed your role at" in mailoutbox[-1].body
    # and made a writer again, they do not silently get the old limit back
    client.post(PEOPLE, {"action": "role", "membership": writer.pk, "role": "writer"})
    assert _chosen(writer) == (True, [])


def test_the_people_page_shows_each_persons_clinics_to_whom_may_see_them(login, world, clinic_b):
    assert _choose(login("alpha_owner"), _membership(world, "alpha_analyst"), clinic_b).status_code
    # owners and managers see the names and can change them; owners' rows cannot be limited
    html = login("alpha_manager").get(PEOPLE).content.decode()
    analyst = html[html.index('data-clinics="analyst@alpha.test"') :]
    assert "Clinic B" in analyst[: analyst.index("</td>")]
    owner = html[html.index('data-clinics="owner@alpha.test"') :]
    assert owner[: owner.index("</td>")].startswith('data-clinics="owner@alpha.test">All clinics')
    # a writer sees that the analyst is limited, not to which clinics
    html = login("alpha_writer").get(PEOPLE).content.decode()
    analyst = html[html.index('data-clinics="analyst@alpha.test"') :]
    assert analyst[: analyst.index("</td>")].endswith("Chosen clinics (1)")
    assert 'name="action" value="clinics"' not in html


def test_the_security_log_says_the_change_in_words(login, world, clinic_b):
    client = login("alpha_owner")
    assert _choose(client, _membership(world, "alpha_writer"), clinic_b).status_code == 302
    html = client.get("/agency/security-log/?event=member.clinics_changed").content.decode()
    assert "Clinics changed <code>member.clinics_changed</code>" in html
    assert "clinics from all clinics to Clinic B · removed: Clinic A · as writer" in html
    assert "member.role_changed</code>" not in html


@pytest.mark.parametrize("reach", ["bogus", "ALL"])
def test_adding_someone_with_a_reach_that_is_no_choice_is_refused_on_the_field(
    reach, login, world, clinic_b, mailoutbox
):
    """walk3 L8: `reach=bogus` was read as "All clinics" (302, the person added)."""
    events = SecurityEvent.objects.count()
    response = login("alpha_owner").post(
        PEOPLE,
        {
            "action": "add",
            "email": "freelance@alpha.test",
            "full_name": "Fran Freelance",
            "role": "analyst",
            "reach": reach,
            "clinics": [clinic_b.pk],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the fields marked below; nothing was changed." in html
    error = re.search(r'<ul class="errorlist" id="reach-error"><li>([^<]*)</li></ul>', html)
    assert error and error.group(1).startswith("Select a valid choice."), html
    # what was typed is kept; neither choice is ticked for a value that is neither
    assert 'value="freelance@alpha.test"' in html and 'value="Fran Freelance"' in html
    assert '<option value="analyst" selected>' in html
    assert f'name="clinics" value="{clinic_b.pk}" checked' in html
    add_form = html[html.index('id="add-h"') :]
    assert 'name="reach" value="all" checked' not in add_form
    assert 'name="reach" value="chosen" checked' not in add_form
    assert 'name="reach" value="all" aria-invalid="true" aria-describedby="reach-error"' in add_form
    assert not User.objects.filter(email="freelance@alpha.test").exists()
    assert SecurityEvent.objects.count() == events and mailoutbox == []


def test_adding_someone_without_a_reach_gives_them_every_clinic(login, world, mailoutbox):
    response = login("alpha_owner").post(
        PEOPLE,
        {"action": "add", "email": "all@alpha.test", "full_name": "Al All", "role": "writer"},
    )
    assert response.status_code == 302
    membership = AgencyMembership.objects.get(user__email="all@alpha.test")
    assert _chosen(membership) == (True, [])
