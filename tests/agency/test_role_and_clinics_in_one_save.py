"""A change of the clinics a writer or analyst reaches is its own security event
(`member.clinics_changed`, "Clinics changed"), never a role change; and one save of the agency's
people page that changes someone's role and their clinics tells them once, in one e-mail that
says both, while each change is still logged once."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

import pytest

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from agency.models import AgencyMembership, StaffClinic

PEOPLE = "/agency/settings/people/"
LOG = "/agency/security-log/"


def _membership(world, name: str) -> AgencyMembership:
    return AgencyMembership.objects.get(user=world.users[name], agency=world.agencies["alpha"])


def _state(membership: AgencyMembership) -> tuple[str, bool, list[str]]:
    membership.refresh_from_db()
    chosen = StaffClinic.objects.filter(membership=membership).order_by("clinic__name")
    return membership.role, membership.all_clinics, [sc.clinic.name for sc in chosen]


def _events(user) -> list[tuple[str, dict]]:
    """The role and clinics changes logged about `user`, oldest first."""
    rows = SecurityEvent.objects.filter(
        target_user_id=user.pk, event__in=["member.role_changed", "member.clinics_changed"]
    ).order_by("id")
    return [(e.event, e.detail) for e in rows]


def _save(client, membership, action: str, **fields):
    return client.post(PEOPLE, {"action": action, "membership": membership.pk, **fields})


def _notices(client) -> list[str]:
    """The lines the people page shows once after a save (its flash messages)."""
    html = client.get(PEOPLE).content.decode()
    return [
        html_lib.unescape(m)
        for m in re.findall(r'<p class="flash[^"]*" role="\w+">(.*?)</p>', html)
    ]


def test_limiting_a_writer_is_logged_as_a_clinics_change_by_the_owner(
    login, world, clinic_b, mailoutbox
):
    writer = _membership(world, "alpha_writer")
    owner = world.users["alpha_owner"]
    last = SecurityEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # when the owner limits the writer to Clinic B
    response = _save(login("alpha_owner"), writer, "clinics", reach="chosen", clinics=[clinic_b.pk])
    # then the log has one clinics change, with what was added and removed, and no role change
    assert response.status_code == 302
    [event] = SecurityEvent.objects.filter(target_user_id=writer.user_id, id__gt=last)
    assert event.event == "member.clinics_changed"
    assert event.get_event_display() == "Clinics changed"
    assert (event.actor_id, event.actor_email) == (owner.pk, owner.email)
    assert event.agency_id == writer.agency_id
    assert event.detail == {
        "role": "writer",
        "clinics_from": "all clinics",
        "clinics_to": "Clinic B",
        "clinic_ids": [clinic_b.pk],
        "added": [],
        "removed": ["Clinic A"],
    }


def test_the_security_log_names_a_clinics_change_and_filters_by_it(login, world, clinic_b):
    client = login("alpha_owner")
    writer = _membership(world, "alpha_writer")
    assert (
        _save(client, writer, "clinics", reach="chosen", clinics=[clinic_b.pk]).status_code == 302
    )
    assert _save(client, writer, "role", role="analyst").status_code == 302
    # a line written before the event existed: a clinics change logged as a role change
    security_event_record(
        event="member.role_changed",
        target=world.users["alpha_analyst"],
        agency_id=writer.agency_id,
        detail={"role": "analyst", "clinics_from": "all clinics", "clinics_to": "Clinic A"},
    )
    # the whole log: each change under its own name
    html = client.get(LOG).content.decode()
    assert "Clinics changed <code>member.clinics_changed</code>" in html
    assert "clinics from all clinics to Clinic B · removed: Clinic A · as writer" in html
    assert "Role changed <code>member.role_changed</code>" in html
    assert "role from writer to analyst" in html
    # the filter offers it, and keeps clinic changes (old lines too) apart from role changes
    assert '<option value="member.clinics_changed">Clinics changed</option>' in html
    clinics = client.get(LOG, {"event": "member.clinics_changed"}).content.decode()
    assert '<option value="member.clinics_changed" selected>' in clinics
    assert clinics.count("Clinics changed <code>") == 2
    assert "clinics from all clinics to Clinic A · role unchanged: analyst" in clinics
    assert "role from writer to analyst" not in clinics
    roles = client.get(LOG, {"event": "member.role_changed"}).content.decode()
    assert roles.count("Role changed <code>member.role_changed</code>") == 1
    assert "Clinics changed <code>" not in roles


def test_the_csv_export_says_each_event_in_words(login, world, clinic_b):
    client = login("alpha_owner")
    writer = _membership(world, "alpha_writer")
    assert (
        _save(client, writer, "clinics", reach="chosen", clinics=[clinic_b.pk]).status_code == 302
    )
    response = client.get(LOG, {"format": "csv", "event": "member.clinics_changed"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["event"], r["event_name"], r["target_email"]) for r in rows] == [
        ("member.clinics_changed", "Clinics changed", "writer@alpha.test")
    ]


def test_a_role_and_clinics_saved_together_send_one_mail_that_says_both(
    login, world, clinic_b, mailoutbox
):
    analyst = _membership(world, "alpha_analyst")
    client = login("alpha_owner")
    # when the owner makes the analyst a writer on Clinic B only, in one save
    response = _save(
        client, analyst, "clinics", role="writer", reach="chosen", clinics=[clinic_b.pk]
    )
    # then both are saved
    assert response.status_code == 302
    assert _state(analyst) == ("writer", False, ["Clinic B"])
    # and they get one e-mail that says both
    [mail] = mailoutbox
    agency = analyst.agency.name
    assert mail.to == ["analyst@alpha.test"]
    assert mail.subject == (
        f"Your role and clinics at {agency} changed: you now work on Clinic B only"
    )
    assert (
        f"Alpha Owner changed your role at {agency} and the clinics you work on: you now work "
        "on Clinic B only. Your role is now:"
    ) in mail.body
    assert "- Writer: drafts replies" in mail.body
    assert "these clinics of the agency: Clinic B" in mail.body
    # the page says it once
    assert _notices(client) == [
        "analyst@alpha.test: role saved (writer) and now reaches only Clinic B; an e-mail "
        "tells them."
    ]
    # and each change is logged once
    assert [code for code, _ in _events(analyst.user)] == [
        "member.role_changed",
        "member.clinics_changed",
    ]
    role, clinics = (detail for _, detail in _events(analyst.user))
    assert role == {"from": "analyst", "to": "writer"}
    assert clinics["clinics_from"] == "all clinics" and clinics["clinics_to"] == "Clinic B"
    assert clinics["removed"] == ["Clinic A"] and clinics["role"] == "writer"


def test_a_manager_made_a_writer_on_chosen_clinics_in_one_save(login, world, clinic_b, mailoutbox):
    manager = _membership(world, "alpha_manager")
    response = _save(
        login("alpha_owner"),
        manager,
        "clinics",
        role="writer",
        reach="chosen",
        clinics=[clinic_b.pk],
    )
    assert response.status_code == 302
    assert _state(manager) == ("writer", False, ["Clinic B"])
    [mail] = mailoutbox
    assert mail.subject.startswith(f"Your role and clinics at {manager.agency.name} changed")
    assert [code for code, _ in _events(manager.user)] == [
        "member.role_changed",
        "member.clinics_changed",
    ]


def test_the_role_form_may_carry_the_clinics_too(login, world, clinic_b, mailoutbox):
    writer = _membership(world, "alpha_writer")
    response = _save(
        login("alpha_owner"), writer, "role", role="analyst", reach="chosen", clinics=[clinic_b.pk]
    )
    assert response.status_code == 302
    assert _state(writer) == ("analyst", False, ["Clinic B"])
    [mail] = mailoutbox
    assert "changed your role at" in mail.body and "Clinic B only" in mail.subject


def test_a_limited_writer_made_manager_is_told_once_of_both(login, world, clinic_b, mailoutbox):
    writer = _membership(world, "alpha_writer")
    client = login("alpha_owner")
    assert (
        _save(client, writer, "clinics", reach="chosen", clinics=[clinic_b.pk]).status_code == 302
    )
    mailoutbox.clear()
    # when the writer limited to Clinic B is made a manager (who reach every clinic)
    assert _save(client, writer, "role", role="manager").status_code == 302
    assert _state(writer) == ("manager", True, [])
    [mail] = mailoutbox
    agency = writer.agency.name
    assert (
        mail.subject == f"Your role and clinics at {agency} changed: you now work on every clinic"
    )
    assert "changed your role at" in mail.body and "you now work on every clinic" in mail.body
    # the widening is logged as a clinics change, beside the role change
    codes = [code for code, _ in _events(writer.user)]
    assert codes == ["member.clinics_changed", "member.role_changed", "member.clinics_changed"]
    widened = _events(writer.user)[-1][1]
    assert widened == {
        "role": "manager",
        "clinics_from": "Clinic B",
        "clinics_to": "all clinics",
        "added": ["Clinic A"],
        "removed": [],
    }


def test_a_role_only_save_sends_the_role_mail_as_before(login, world, mailoutbox):
    writer = _membership(world, "alpha_writer")
    client = login("alpha_owner")
    assert _save(client, writer, "role", role="analyst").status_code == 302
    [mail] = mailoutbox
    assert mail.subject == f"Your role at {writer.agency.name} changed"
    assert "changed your role at" in mail.body and "clinics you work on" not in mail.body
    assert [code for code, _ in _events(writer.user)] == ["member.role_changed"]
    assert _notices(client) == ["writer@alpha.test: role saved; an e-mail tells them."]


def test_a_clinics_only_save_with_the_same_role_sends_the_clinics_mail(
    login, world, clinic_b, mailoutbox
):
    writer = _membership(world, "alpha_writer")
    # the clinics form carries the role: unchanged, it is no role change
    response = _save(
        login("alpha_owner"),
        writer,
        "clinics",
        role="writer",
        reach="chosen",
        clinics=[clinic_b.pk],
    )
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.subject == (
        f"Your clinics at {writer.agency.name} changed: you now work on Clinic B only"
    )
    assert "Your role stays the same:" in mail.body and "changed your role" not in mail.body
    assert [code for code, _ in _events(writer.user)] == ["member.clinics_changed"]


@pytest.mark.parametrize(
    ("name", "fields", "message"),
    [
        ("alpha_writer", {"role": "manager", "reach": "chosen", "clinics": ["b"]},
         "Managers always reach every clinic of Alpha Agency"),
        ("alpha_analyst", {"role": "writer", "reach": "chosen", "clinics": ["c"]},
         "Alpha Agency has no clinic with the id"),
        ("alpha_analyst", {"role": "writer", "reach": "chosen", "clinics": []},
         "Tick at least one clinic"),
        ("alpha_analyst", {"role": "boss", "reach": "chosen", "clinics": ["b"]}, "Invalid role."),
    ],
    ids=["manager-with-chosen-clinics", "other-agencys-clinic", "none-ticked", "unknown-role"],
)  # fmt: skip
def test_a_bad_role_and_clinics_save_changes_nothing(
    name, fields, message, login, world, clinic_b, clinic_c, mailoutbox
):
    membership = _membership(world, name)
    before, events = _state(membership), SecurityEvent.objects.count()
    ids = {"b": clinic_b.pk, "c": clinic_c.pk}
    fields = {**fields, "clinics": [ids[c] for c in fields["clinics"]]}
    response = _save(login("alpha_owner"), membership, "clinics", **fields)
    # then the page says why, and neither the role nor the clinics changed; nothing logged or sent
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state(membership) == before
    assert SecurityEvent.objects.count() == events and mailoutbox == []
