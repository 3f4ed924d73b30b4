"""A writer or analyst limited to chosen clinics is never told about another clinic, nor listed
among its people: whom to tell (`people_who_can`, `people_notify`), their roles there, the
banner and the hourly digest, the on-call list and its page. Their own clinics are as before."""

from __future__ import annotations

from clinics.access import people_role_words, people_roles, people_who_can
from clinics.alerting import on_call_candidates, on_call_out_of_reach
from clinics.models import Notification, OnCall
from clinics.notifications import notification_digests_send, people_notify, preference_set
from core.permissions import Permission

CLINIC_ALERTS = "/clinics/clinic-a/settings/alerts/"


def _emails(users) -> list[str]:
    return sorted(u.email for u in users)


def test_whom_to_tell_leaves_out_staff_limited_to_other_clinics(world, limit_to):
    clinic_a, clinic_b = world.clinics["a"], world.clinics["b"]
    assert "writer@alpha.test" in _emails(people_who_can(clinic_a, permission=Permission.WRITE))
    limit_to("alpha_writer", clinic_b)
    limit_to("alpha_analyst", clinic_b)
    assert _emails(people_who_can(clinic_a, permission=Permission.WRITE)) == [
        "manager@alpha.test",
        "owner@alpha.test",
    ]
    assert "analyst@alpha.test" not in _emails(people_who_can(clinic_a, permission=Permission.VIEW))
    assert _emails(people_who_can(clinic_b, permission=Permission.WRITE)) == [
        "manager@alpha.test",
        "owner@alpha.test",
        "writer@alpha.test",
    ]
    # and where a list names whom a text waits for, they hold no role in clinic A
    writer = world.users["alpha_writer"]
    assert people_roles(clinic_a, [writer]) == {writer.pk: "no role"}
    assert people_roles(clinic_b, [writer]) == {writer.pk: "writer"}
    assert people_role_words(clinic_a, [writer.pk]) == {writer.pk: "no role here now"}


def test_a_limited_writer_is_not_notified_about_another_clinic(
    world, limit_to, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    limit_to("alpha_writer", world.clinics["b"])
    # when something in clinic A is for the writer and the manager
    with django_capture_on_commit_callbacks(execute=True):
        told = people_notify(
            users=[writer, manager], clinic=world.clinics["a"], kind="approval",
            ref="test:scope", title="A reply waits", url="/clinics/clinic-a/replies/",
        )  # fmt: skip
    # then only the manager is told: no message, no e-mail for the writer
    assert set(told) == {manager.pk}
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert not Notification.objects.filter(user=writer, ref="test:scope").exists()
    # while about clinic B they are told as before
    with django_capture_on_commit_callbacks(execute=True):
        told = people_notify(
            users=[writer], clinic=world.clinics["b"], kind="approval", ref="test:scope-b",
            title="A reply waits", url="/clinics/clinic-b/replies/",
        )  # fmt: skip
    assert set(told) == {writer.pk}


def test_the_banner_and_digest_drop_what_is_about_a_clinic_no_longer_reached(
    world, limit_to, login, mailoutbox, django_capture_on_commit_callbacks
):
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    # given messages about both clinics, from before the writer was limited to clinic B
    for clinic in (world.clinics["a"], world.clinics["b"]):
        people_notify(
            users=[writer], clinic=clinic, kind="approval", ref=f"test:{clinic.slug}",
            title=f"A reply waits at {clinic.name}", url=f"/clinics/{clinic.slug}/replies/",
        )  # fmt: skip
    client = login("alpha_writer")
    assert b'data-alert-count="2"' in client.get("/alerts/banner/").content
    limit_to("alpha_writer", world.clinics["b"])
    # then the banner shows clinic B's only
    banner = client.get("/alerts/banner/").content.decode()
    assert 'data-alert-count="1"' in banner
    assert "Clinic B" in banner and "Clinic A" not in banner
    # and the digest lists clinic B's only, and does not keep clinic A's for later
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [mail] = mailoutbox
    assert "A reply waits at Clinic B" in mail.body and "Clinic A" not in mail.body
    assert not Notification.objects.filter(user=writer, email_pending=True).exists()


def test_someone_on_call_who_no_longer_reaches_the_clinic_is_flagged_and_not_offered(
    world, limit_to, login, clinic_a
):
    writer = world.users["alpha_writer"]
    # given a writer limited to clinic B (which takes them off clinic A's list) and yet on it,
    # as a row written around the people page would leave them
    limit_to("alpha_writer", world.clinics["b"])
    OnCall.objects.create(clinic=clinic_a, user=writer, position=0)
    # then they are not offered, and the page says they are not alerted
    assert writer not in on_call_candidates(clinic_a)
    assert on_call_out_of_reach(clinic_a) == [writer]
    client = login("alpha_owner")
    html = client.get(CLINIC_ALERTS).content.decode()
    shown = html[html.index("<ol>", html.index("oncall-h")) :]
    shown = shown[: shown.index("</ol>")]
    assert "Alpha Writer" in shown
    assert "does not reach this clinic" in shown and "not alerted" in shown
    assert "Nobody on the list reaches this clinic, so the agency's owners and managers" in html
    # and putting them on the list is refused, naming why, with nothing changed
    response = client.post(CLINIC_ALERTS, {"action": "on_call", "on_call": [writer.pk]})
    assert response.status_code == 400
    assert (
        "Position 1: Alpha Writer does not reach this clinic (the agency&#x27;s people page "
        "limits them to other clinics), so they cannot be on call." in response.content.decode()
    )
    assert list(OnCall.objects.filter(clinic=clinic_a).values_list("user_id", flat=True)) == [
        writer.pk
    ]
