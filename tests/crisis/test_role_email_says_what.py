"""The "You are <role> for the incident" e-mail says what the person needs to start: the
severity and what triggered it, who gave them the role, what the role does and what it does
first, from the clinic's playbook, and the link (walk 1 on phones, F7: it said only the
role)."""

from __future__ import annotations

from accounts.actors import Actor
from crisis.services import (
    incident_assign,
    response_plan_save,
)
from tests.crisis.conftest import acting


def _assign(incident, clinic, *, role, user, by, capture) -> None:
    with capture(execute=True):
        incident_assign(incident_id=incident.pk, clinic=clinic, role=role, user_id=user.pk,
                        actor=Actor(user=by))  # fmt: skip


def test_the_role_email_says_severity_trigger_who_and_what_to_do_first(
    incident, world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]

    _assign(incident, clinic_a, role="comms", user=writer, by=manager,
            capture=django_capture_on_commit_callbacks)  # fmt: skip

    [mail] = mailoutbox
    assert mail.to == ["writer@alpha.test"]
    assert mail.subject == f"[Clinic A] You are Comms / PR for the incident “{incident.title}”"
    body = mail.body
    assert f"{incident.get_severity_display()} incident at Clinic A, opened " in body
    assert "used the watch word “outbreak”" in body  # what triggered it
    assert "Alpha Manager assigned you the role." in body
    assert "Comms / PR helps prepare the clinic's public statements during a crisis." in body
    assert "What to do first, from the playbook: Draft an official statement." in body
    assert f"/clinics/clinic-a/incidents/{incident.pk}/" in body


def test_the_clinics_own_playbook_says_what_the_role_does_first(
    incident, world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    response_plan_save(
        text="1. Acknowledge within 15 minutes\n"
        "2. Reply to every mention with the approved wording.\n"
        "3. Prepare a holding statement for the press",
        actor=acting("test"),
    )
    manager = world.users["alpha_manager"]

    _assign(incident, clinic_a, role="social", user=manager, by=manager,
            capture=django_capture_on_commit_callbacks)  # fmt: skip

    [mail] = mailoutbox
    assert "You assigned yourself the role." in mail.body
    assert "Social media manager follows the clinic's social media while a crisis lasts." in (
        mail.body
    )
    assert (
        "What to do first, from the playbook: Reply to every mention with the approved wording "
        "(0 of 1 mentions answered)." in mail.body
    )
