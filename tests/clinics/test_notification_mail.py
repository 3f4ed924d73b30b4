"""A notice's e-mail says in which capacity the person receives it: agency staff as their role
at the agency that looks after the clinic, a clinic's person as one of its people on the
agency's client portal (not "one of the people of" a clinic they do not belong to)."""

from __future__ import annotations

from agency.brand_links import brand_link
from clinics.notifications import notification_digests_send, people_notify, preference_set
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


def test_each_notice_email_links_to_where_its_reader_chooses_how_they_are_told(
    world, clinic_a, django_capture_on_commit_callbacks, mailoutbox, settings
):
    # given a notice to one of the agency's writers and one of the clinic's approvers
    writer, approver = world.users["alpha_writer"], world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        people_notify(
            users=[writer, approver], clinic=clinic_a, kind="approval", ref="test:settings-link",
            title="A reply waits for your approval", url="/clinics/clinic-a/replies/",
        )  # fmt: skip

    # then each e-mail holds the absolute link, not "your account page" to find by oneself
    bodies = {m.to[0]: m.body for m in mailoutbox}
    base = settings.PUBLIC_BASE_URL
    assert f"Choose how you are told:\n{base}/account/notifications/\n" in bodies[writer.email]
    # a clinic's person: the same choices in the clinic's portal, signed with its brand
    portal = f"{base}{brand_link('/clinics/clinic-a/portal/notifications/settings/')}"
    assert f"Choose how you are told:\n{portal}\n" in bodies[approver.email]
    assert "?brand=" in portal
    for body in bodies.values():
        assert "account page" not in body


def test_the_hourly_digest_links_to_the_readers_notification_settings(
    world, clinic_a, django_capture_on_commit_callbacks, mailoutbox, settings
):
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    with django_capture_on_commit_callbacks(execute=True):
        people_notify(
            users=[writer], clinic=clinic_a, kind="approval", ref="test:digest-link",
            title="A reply waits for your approval", url="/clinics/clinic-a/replies/",
        )  # fmt: skip
        notification_digests_send()

    [mail] = [m for m in mailoutbox if m.to == [writer.email]]
    assert mail.subject.endswith("wait for you")
    assert (
        "You receive this hourly digest because you chose it. Change how you are told:\n"
        f"{settings.PUBLIC_BASE_URL}/account/notifications/\n"
    ) in mail.body
