"""Black-box finding on the security log (`/agency/security-log/`): a first password chosen
from an invitation read "Password reset password.reset" with "via password_link" (an internal
name); sending an invitation again was not logged at all; and a removal's forced sign-out read
"Signed out everywhere else", as if the person had done it themselves."""

from __future__ import annotations

from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import SecurityEvent, SecurityEventCode, User
from accounts.tokens import password_link_generator
from agency.models import AgencyMembership
from agency.services import agency_member_add

LOG = "/agency/security-log/"
PEOPLE = "/agency/settings/people/"
NEW = "a long chosen passphrase 58"


def _invite(world, email: str) -> AgencyMembership:
    return agency_member_add(
        agency=world.agencies["alpha"], email=email, full_name="Ivy Invited", role="writer"
    )


def test_a_first_password_from_an_invitation_reads_as_an_accepted_invitation(login, world):
    # given: an invited writer who chooses their password through the link
    person = User.objects.get(pk=_invite(world, "ivy@alpha.test").user_id)
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = password_link_generator(person).make_token(person)
    browser = Client()
    form = browser.get(f"/password-reset/{uid}/{token}/")["Location"]
    assert browser.post(form, {"new_password1": NEW, "new_password2": NEW}).status_code == 302

    # when: the owner reads the log
    html = login("alpha_owner").get(LOG, {"person": "ivy@alpha.test"}).content.decode()

    # then: in words, never the internal names
    assert "Invitation accepted: password set <code>invitation.accepted</code>" in html
    assert "with the password just chosen through the e-mailed link" in html
    assert "password_link" not in html
    assert "Password reset <code>" not in html


def test_sending_an_invitation_again_is_logged(login, world):
    membership = _invite(world, "resend@alpha.test")
    owner = login("alpha_owner")
    mail.outbox.clear()

    owner.post(PEOPLE, {"action": "invite", "membership": membership.pk})

    assert len(mail.outbox) == 1
    event = SecurityEvent.objects.get(
        event=SecurityEventCode.INVITATION_RESENT, target_user_id=membership.user_id
    )
    assert event.actor_email == "owner@alpha.test"
    assert event.agency_id == world.agencies["alpha"].pk
    html = owner.get(LOG, {"person": "resend@alpha.test"}).content.decode()
    assert "Invitation sent again <code>invitation.resent</code>" in html
    assert "e-mail sent" in html


def test_a_removals_sign_out_is_worded_as_done_by_the_remover(login, world):
    membership = agency_member_add(
        agency=world.agencies["alpha"], email="leaver@alpha.test", full_name="Lee Leaver",
        role="writer", password="a long leaver passphrase 12",
    )  # fmt: skip
    owner = login("alpha_owner")

    owner.post(PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"})

    assert not AgencyMembership.objects.filter(pk=membership.pk).exists()
    html = owner.get(LOG, {"person": "leaver@alpha.test"}).content.decode()
    assert "Signed out everywhere by owner@alpha.test <code>sessions.ended</code>" in html
    assert "because they were removed (their access ended)" in html
    assert "Signed out everywhere else <code>" not in html
