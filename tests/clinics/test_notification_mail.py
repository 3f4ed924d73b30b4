"""A notice's e-mail says in which capacity the person receives it: agency staff as their role
at the agency that looks after the clinic, a clinic's person as one of its people on the
agency's client portal (not "one of the people of" a clinic they do not belong to)."""

from __future__ import annotations

from clinics.notifications import people_notify
from core.text import possessive


def test_a_notice_says_in_which_capacity_each_person_receives_it(
    world, clinic_a, django_capture_on_commit_callbacks, mailoutbox
):
    writer, approver = world.users["alpha_writer"], world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        people_notify(
            users=[writer, approver], clinic=clinic_a, kind="approval", ref="test:capacity",
            title="A reply waits for your approval", url="/clinics/clinic-a/replies/",
        )  # fmt: skip
    bodies = {m.to[0]: m.body for m in mailoutbox}
    agency = clinic_a.agency
    assert (
        f"You receive this as writer at {agency.name}, which looks after {clinic_a.name}."
        in bodies[writer.email]
    )
    assert "one of the people of" not in bodies[writer.email]
    portal = agency.display_name or agency.name
    assert (
        f"You receive this as one of the people of {clinic_a.name} on {possessive(portal)} client "
        "portal." in bodies[approver.email]
    )
