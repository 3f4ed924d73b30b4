"""People added without a password get an e-mail with a link to choose one."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from accounts.models import User
from agency.models import AgencyMembership
from clinics.models import ClinicMembership


def _link(message) -> str:
    return re.search(r"http://\S+/password-reset/\S+/", message.body).group(0)


def test_new_staff_member_is_invited_and_chooses_a_password(login, world, settings):
    settings.PUBLIC_BASE_URL = "http://carewatch.test"
    mail.outbox.clear()
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {
            "action": "add",
            "email": "fresh@alpha.test",
            "full_name": "Fresh Writer",
            "role": "writer",
        },
        follow=True,
    )
    assert "an e-mail invites them to choose a password" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["fresh@alpha.test"]]
    message = mail.outbox[0]
    assert "Alpha Agency" in message.subject and "Alpha Owner added you" in message.body
    link = _link(message)
    assert link.startswith("http://carewatch.test/password-reset/")

    # the link opens the set-password form, once
    path = link.removeprefix("http://carewatch.test")
    client = Client()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert done.status_code == 302
    assert User.objects.get(email="fresh@alpha.test").check_password("a new long passphrase 42")


def test_existing_users_get_no_invitation(login, world):
    mail.outbox.clear()
    response = login("alpha_owner").post(
        "/clinics/clinic-a/settings/people/",
        {
            "action": "save",
            "email": "a_viewer@clinics.test",
            "full_name": "A Viewer",
            "role": "approver",
        },
    )
    assert response.status_code == 302
    assert mail.outbox == []
    assert ClinicMembership.objects.get(user=world.users["a_viewer"]).role == "approver"


def test_clinic_person_invited_and_invited_again(login, world, clinic_a):
    mail.outbox.clear()
    client = login("alpha_manager")
    client.post(
        "/clinics/clinic-a/settings/people/",
        {
            "action": "save",
            "email": "legal@clinic-a.test",
            "full_name": "Legal",
            "role": "viewer",
            "crisis_roles": ["legal"],
        },
    )
    assert len(mail.outbox) == 1 and "Clinic A" in mail.outbox[0].subject
    m = ClinicMembership.objects.get(clinic=clinic_a, user__email="legal@clinic-a.test")
    html = client.get("/clinics/clinic-a/settings/people/").content.decode()
    assert "Send the invitation again" in html
    assert (
        client.post(
            "/clinics/clinic-a/settings/people/", {"action": "invite", "membership": m.pk}
        ).status_code
        == 302
    )
    assert len(mail.outbox) == 2


def test_no_invitation_for_someone_with_a_password(login, world):
    mail.outbox.clear()
    m = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    response = login("alpha_owner").post(
        "/agency/settings/people/", {"action": "invite", "membership": m.pk}, follow=True
    )
    assert "has already chosen a password" in response.content.decode()
    assert mail.outbox == []


def test_a_failing_mail_server_is_reported(login, world, settings):
    settings.EMAIL_BACKEND = "tests.agency.test_invitations.BrokenBackend"
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {"action": "add", "email": "nomail@alpha.test", "full_name": "No Mail", "role": "analyst"},
        follow=True,
    )
    assert "could not be sent" in response.content.decode()
    assert AgencyMembership.objects.filter(user__email="nomail@alpha.test").exists()


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")
