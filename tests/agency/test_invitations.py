"""People added without a password get one e-mail, in the agency's name, with their role in
plain words and a link to choose a first password; people who have one are told they were
added; a role change is a short notice without a link; a save that changes nothing sends
nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from agency.models import Agency, AgencyMembership
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


PEOPLE = "/clinics/clinic-a/settings/people/"
# the roles in the people page's words (`clinics.models.CLINIC_ROLE_HELP`, `CRISIS_ROLE_HELP`)
APPROVER = (
    "- Approver: approves replies and public statements in the client portal before they "
    "are published (the clinic's own approval step)."
)
VIEWER = "- Viewer: sees the clinic's reviews, replies and incidents in the client portal."
LEGAL = (
    "- Crisis team, Legal / compliance: alerted by e-mail as soon as a crisis incident opens; "
    "checks replies the compliance guard flags, and may publish past a block with a written "
    "reason."
)


def _save(client, email: str, role: str, crisis_roles=(), full_name="Sam Rivera"):
    return client.post(
        PEOPLE,
        {
            "action": "save",
            "email": email,
            "full_name": full_name,
            "role": role,
            "crisis_roles": list(crisis_roles),
        },
        follow=True,
    )


@pytest.fixture
def branded(world, db):
    # saved (not updated): a save clears the clinics' route cache, which holds the agency
    agency = Agency.objects.get(pk=world.agencies["alpha"].pk)
    before = agency.display_name
    agency.display_name = "Alpha Reputation Care"
    agency.save(update_fields=["display_name"])
    yield
    agency.display_name = before
    agency.save(update_fields=["display_name"])


def test_one_invitation_then_a_short_notice_per_role_change(
    login, world, branded, clinic_a, settings
):
    settings.PUBLIC_BASE_URL = "http://carewatch.test"
    mail.outbox.clear()
    client = login("alpha_manager")

    # given a new person: one invitation, in the agency's name, saying the role
    added = _save(client, "sam@clinic-a.test", "approver")
    assert "sam@clinic-a.test added; an e-mail invites them to choose a password." in (
        added.content.decode()
    )
    [invitation] = mail.outbox
    assert invitation.to == ["sam@clinic-a.test"]
    assert invitation.from_email == "Alpha Reputation Care <no-reply@carewatch.local>"
    assert invitation.reply_to == ["help@alpha.test"]
    assert invitation.subject == "You are invited to Clinic A"
    body = invitation.body
    assert body.startswith("Hello Sam Rivera,\n\nAlpha Manager added you to Clinic A. Your role:")
    assert APPROVER in body
    assert "Choose your password here (the link works once, for 7 days):" in body
    assert _link(invitation).startswith("http://carewatch.test/password-reset/")
    assert body.endswith("\nAlpha Reputation Care\nhelp@alpha.test\n")
    assert "Carewatch" not in body

    # when the role changes twice: two short notices, no password link
    _save(client, "sam@clinic-a.test", "viewer")
    changed = _save(client, "sam@clinic-a.test", "viewer", ["legal"])
    assert "sam@clinic-a.test: role saved; an e-mail tells them." in changed.content.decode()
    assert len(mail.outbox) == 3
    for notice, roles in zip(mail.outbox[1:], ([VIEWER], [VIEWER, LEGAL]), strict=True):
        assert notice.subject == "Your role at Clinic A changed"
        assert notice.from_email == "Alpha Reputation Care <no-reply@carewatch.local>"
        assert (
            "Alpha Manager changed your role at Clinic A. It is now:\n\n" + "\n".join(roles) + "\n"
            in notice.body
        )
        assert "/password-reset/" not in notice.body
        assert "You have not chosen a password yet: use the link in your invitation" in (
            notice.body
        )

    # then saving the same roles again sends nothing
    same = _save(client, "sam@clinic-a.test", "viewer", ["legal"])
    assert "Nothing changed for sam@clinic-a.test." in same.content.decode()
    assert len(mail.outbox) == 3
    assert ClinicMembership.objects.get(user__email="sam@clinic-a.test").crisis_roles == ["legal"]


def test_an_existing_user_added_to_a_clinic_is_told_without_a_link(login, world, branded, clinic_a):
    mail.outbox.clear()
    response = _save(login("alpha_owner"), "b_approver@clinics.test", "viewer", ["legal"])
    assert "b_approver@clinics.test added; an e-mail tells them." in response.content.decode()
    [notice] = mail.outbox
    assert notice.to == ["b_approver@clinics.test"]
    assert notice.subject == "You were added to Clinic A"
    assert notice.from_email == "Alpha Reputation Care <no-reply@carewatch.local>"
    assert (
        "Alpha Owner added you to Clinic A. You sign in as before. Your role:\n\n"
        f"{VIEWER}\n{LEGAL}\n"
    ) in notice.body
    assert "/password-reset/" not in notice.body and "not chosen a password" not in notice.body


def test_an_existing_member_whose_role_changes_is_told(login, world):
    mail.outbox.clear()
    response = _save(
        login("alpha_owner"), "a_viewer@clinics.test", "approver", full_name="A Viewer"
    )
    assert response.status_code == 200
    [notice] = mail.outbox
    assert notice.subject == "Your role at Clinic A changed"
    assert APPROVER in notice.body and "/password-reset/" not in notice.body
    assert ClinicMembership.objects.get(user=world.users["a_viewer"]).role == "approver"


def test_the_invitation_link_asks_for_a_first_password_not_a_new_one(login, world, clinic_a):
    mail.outbox.clear()
    _save(login("alpha_manager"), "first@clinic-a.test", "viewer")
    path = "/" + _link(mail.outbox[0]).split("/", 3)[3]
    client = Client()
    form_page = client.get(path, follow=True)
    html = form_page.content.decode()
    assert '<h1 id="newpw-h">Choose your password</h1>' in html
    assert "For <strong>first@clinic-a.test</strong> (Sam Rivera)" in html
    assert "Set a new password" not in html and "Set my password" in html
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a first long passphrase 7",
            "new_password2": "a first long passphrase 7",
        },
        follow=True,
    )
    # signed in at once (a clinic's people have no second factor to set up), in the portal
    assert [url for url, _status in done.redirect_chain] == ["/start/", "/clinics/clinic-a/portal/"]
    page = done.content.decode()
    assert "Your password is set: you are signed in as first@clinic-a.test." in page
    assert User.objects.get(email="first@clinic-a.test").check_password("a first long passphrase 7")


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


def test_a_staff_members_role_change_and_removal_are_told(login, world, branded):
    mail.outbox.clear()
    client = login("alpha_owner")
    analyst = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    staff = "/agency/settings/people/"
    # a role change: a short notice with the new role in plain words, no password link
    page = client.post(
        staff, {"action": "role", "membership": analyst.pk, "role": "writer"}, follow=True
    ).content.decode()
    assert "analyst@alpha.test: role saved; an e-mail tells them." in page
    [notice] = mail.outbox
    assert notice.to == ["analyst@alpha.test"]
    assert notice.subject == "Your role at Alpha Agency changed"
    assert "Alpha Owner changed your role at Alpha Agency. It is now:\n\n- Writer: " in notice.body
    assert "/password-reset/" not in notice.body
    # in the agency's own name, as the staff pages and their invitation name it, not the brand
    # its clients know it by
    assert notice.from_email == "Alpha Agency <no-reply@carewatch.local>"
    assert notice.body.endswith("\nAlpha Agency\nhelp@alpha.test\n")
    assert "Alpha Reputation Care" not in notice.body
    # the same role again: nothing sent
    page = client.post(
        staff, {"action": "role", "membership": analyst.pk, "role": "writer"}, follow=True
    ).content.decode()
    assert "Nothing changed for analyst@alpha.test." in page and len(mail.outbox) == 1
    # a removal: told they no longer have access, and whom to ask
    page = client.post(
        staff, {"action": "remove", "membership": analyst.pk, "confirm": "yes"}, follow=True
    )
    assert "analyst@alpha.test removed; an e-mail tells them." in page.content.decode()
    removed = mail.outbox[-1]
    assert removed.subject == "You no longer have access to Alpha Agency"
    assert removed.from_email == "Alpha Agency <no-reply@carewatch.local>"
    assert "Alpha Owner removed you from Alpha Agency." in removed.body
    assert "write to Alpha Agency at help@alpha.test." in removed.body
    assert "Alpha Reputation Care" not in removed.body


def test_a_clinic_person_removed_is_told(login, world, branded, clinic_a):
    mail.outbox.clear()
    viewer = ClinicMembership.objects.get(user=world.users["a_viewer"], clinic=clinic_a)
    page = login("alpha_manager").post(
        PEOPLE, {"action": "remove", "membership": viewer.pk, "confirm": "yes"}, follow=True
    )
    assert "a_viewer@clinics.test removed; an e-mail tells them." in page.content.decode()
    [removed] = mail.outbox
    assert removed.to == ["a_viewer@clinics.test"]
    assert removed.subject == "You no longer have access to Clinic A"
    assert "Alpha Manager removed you from Clinic A." in removed.body
    # a clinic's people know the agency by its brand
    assert removed.from_email == "Alpha Reputation Care <no-reply@carewatch.local>"
    assert "write to Alpha Reputation Care at help@alpha.test." in removed.body
    assert not ClinicMembership.objects.filter(pk=viewer.pk).exists()


def test_a_staff_invitation_comes_in_the_agencys_own_name_and_names_the_authenticator_app(
    login, world, branded, settings
):
    # given an agency whose clients know it by another name (its portal brand)
    settings.PUBLIC_BASE_URL = "http://carewatch.test"
    mail.outbox.clear()
    # when an owner adds a writer to the agency's staff
    login("alpha_owner").post(
        "/agency/settings/people/",
        {
            "action": "add",
            "email": "fresh@alpha.test",
            "full_name": "Fresh Writer",
            "role": "writer",
        },  # fmt: skip
    )
    # then the invitation is the agency's own, as the staff pages name it, not the brand
    [invitation] = mail.outbox
    assert invitation.from_email == "Alpha Agency <no-reply@carewatch.local>"
    assert invitation.subject == "You are invited to Alpha Agency"
    body = invitation.body
    assert body.endswith("\nAlpha Agency\nhelp@alpha.test\n")
    assert "Alpha Reputation Care" not in body
    # and it says that signing in needs an authenticator app, before what to do if it expired
    words = (
        "Signing in also needs an authenticator app on your phone (such as Google "
        "Authenticator, Microsoft Authenticator or 1Password): two-factor sign-in is required "
        "for Alpha Agency's staff. Right after you choose your password you scan a QR code "
        "with it once; it then shows your sign-in codes under “Alpha Agency”.\n\nIf the link "
        "has expired"
    )
    assert words in body


def test_a_clinic_persons_invitation_names_no_authenticator_app(login, world, clinic_a):
    mail.outbox.clear()
    _save(login("alpha_manager"), "sam@clinic-a.test", "viewer")
    [invitation] = mail.outbox
    assert "authenticator" not in invitation.body
