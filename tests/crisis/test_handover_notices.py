"""Two crises at once and a shift handover (walk-through 13 A): the "Waiting for you" lines
name their clinic on the staff's pages; an incident role taken away leaves its holder's
banner and tells them who holds it now; the first alert tells the owners and managers what an
escalation means for them."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from clinics.models import ClinicMembership, Notification, OnCall
from clinics.notifications import people_notify
from crisis.services import (
    incident_assign,
    incident_notify_opened,
)
from tests.crisis.conftest import acting

BY_HAND = "1 reply waits to be posted by hand on Facebook page"


def _waiting(html: str) -> list[str]:
    """The lines of the "Waiting for you" banner, as read."""
    start = html.index('<div class="waiting-note"')
    note = html[start : html.index("</div>", start)]
    return [re.sub(r"\s+", " ", a) for a in re.findall(r'<a href="[^"]*">([^<]*)</a>', note)]


def _by_hand(user, clinic) -> None:
    people_notify(
        users=[user], clinic=clinic, kind="by_hand", ref="outbox:fb:by-hand", title=BY_HAND,
        url=f"/clinics/{clinic.slug}/outbox/",
    )  # fmt: skip


def test_the_staff_banner_names_the_clinic_of_each_line(world, login, clinic_a, clinic_b):
    # given the same thing waits for the writer in two clinics
    writer = world.users["alpha_writer"]
    _by_hand(writer, clinic_a)
    _by_hand(writer, clinic_b)
    # then every staff page (and the banner's poll) says which clinic each line is about
    client = login("alpha_writer")
    for page in ("/agency/", "/clinics/clinic-a/", "/alerts/banner/"):
        lines = _waiting(client.get(page).content.decode())
        assert sorted(lines[:2]) == [f"Clinic A: {BY_HAND}", f"Clinic B: {BY_HAND}"], page


def test_the_portal_banner_names_the_clinic_only_for_a_person_of_several_clinics(
    world, login, clinic_a, clinic_b
):
    approver = world.users["a_approver"]
    _by_hand(approver, clinic_a)
    page = "/clinics/clinic-a/portal/"
    # one clinic's person: the portal is that clinic's, the line stays as it was
    assert _waiting(login("a_approver").get(page).content.decode()) == [BY_HAND]
    # a person of two clinics: the line names it
    ClinicMembership.objects.create(clinic=clinic_b, user=approver, role="approver")
    assert _waiting(login("a_approver").get(page).content.decode()) == [f"Clinic A: {BY_HAND}"]


def _assign(incident, clinic, user_id) -> None:
    with schema_context(clinic.schema_name):  # a page read leaves the connection on public
        incident_assign(
            incident_id=incident.pk, clinic=clinic, role="comms", user_id=user_id,
            actor=acting("Alpha Manager"),
        )  # fmt: skip


def test_a_role_taken_away_leaves_the_banner_and_its_holder_is_told_once(
    incident, world, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    holding = f"You are Comms / PR for the incident “{incident.title}”"
    ref = f"incident:{incident.pk}:role:comms"
    # given the writer took Comms / PR
    with django_capture_on_commit_callbacks(execute=True):
        _assign(incident, clinic_a, writer.pk)
    assert f"Clinic A: {holding}" in _waiting(
        login("alpha_writer").get("/agency/").content.decode()
    )
    mailoutbox.clear()

    # when the manager gives it to himself
    with django_capture_on_commit_callbacks(execute=True):
        _assign(incident, clinic_a, manager.pk)

    # then it left the writer's banner, and stays the manager's only
    open_ = Notification.objects.filter(ref=ref, open=True)
    assert list(open_.values_list("user_id", flat=True)) == [manager.pk]
    assert "Waiting for you" not in login("alpha_writer").get("/agency/").content.decode()
    # and the writer is told, once, in her history and by e-mail, who took it over
    ended = (
        f"You are no longer Comms / PR for the incident “{incident.title}” at Clinic A; "
        "Alpha Manager took it over"
    )
    [told] = Notification.objects.filter(user=writer, kind="role_ended")
    assert (told.title, told.open, told.url) == (
        ended, False, f"/clinics/clinic-a/incidents/{incident.pk}/",
    )  # fmt: skip
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("manager@alpha.test", f"[Clinic A] {holding}"),
        ("writer@alpha.test", f"[Clinic A] {ended}"),
    ]
    mailoutbox.clear()

    # when it is set back to the clinic's crisis team (nobody assigned)
    with django_capture_on_commit_callbacks(execute=True):
        _assign(incident, clinic_a, None)

    # then nobody has it waiting, and the manager is told who holds it now
    assert not open_.exists()
    [mail] = mailoutbox
    assert mail.to == ["manager@alpha.test"]
    assert mail.subject == (
        f"[Clinic A] You are no longer Comms / PR for the incident “{incident.title}” at "
        "Clinic A; it is unassigned, so the clinic's crisis team holds it (A Approver)"
    )
    # and the writer was not told again
    assert Notification.objects.filter(user=writer, kind="role_ended").count() == 1


def _alert_bodies(incident, mailoutbox, capture) -> dict[str, str]:
    with capture(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    return {m.to[0]: m.body for m in mailoutbox}


AGAIN = "you will be alerted again: it is escalated to the agency's owners and managers, and you"
OTHERS = "it is escalated to the agency's owners and managers."


def test_the_first_alert_tells_the_owners_and_managers_they_will_be_alerted_again(
    incident, mailoutbox, django_capture_on_commit_callbacks
):
    bodies = _alert_bodies(incident, mailoutbox, django_capture_on_commit_callbacks)
    assert sorted(bodies) == [
        "a_approver@clinics.test", "a_legal@clinics.test", "manager@alpha.test",
        "owner@alpha.test",
    ]  # fmt: skip
    for owner in ("owner@alpha.test", "manager@alpha.test"):
        assert f"{AGAIN} are one of them." in bodies[owner], owner
        assert OTHERS not in bodies[owner]
    for person in ("a_approver@clinics.test", "a_legal@clinics.test"):
        assert OTHERS in bodies[person] and AGAIN not in bodies[person], person


def test_someone_on_call_who_is_not_an_owner_reads_who_it_escalates_to(
    incident, world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_writer"])
    bodies = _alert_bodies(incident, mailoutbox, django_capture_on_commit_callbacks)
    assert OTHERS in bodies["writer@alpha.test"] and AGAIN not in bodies["writer@alpha.test"]
