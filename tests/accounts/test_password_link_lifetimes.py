"""An invitation's link (a new person's first password) works for days, a reset link for an
hour; both once. The mail and the page say how long; an expired invitation tells the person
to ask for a new one."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import InvitationTokenGenerator, invitation_token_generator

PEOPLE = "/clinics/clinic-a/settings/people/"
PASSWORD = "a first long passphrase 7"


class _Later(InvitationTokenGenerator):
    def __init__(self, delay: timedelta):
        super().__init__()
        self.delay = delay

    def _now(self):
        return super()._now() + self.delay


def _invite(login, email="nina@clinic-a.test") -> str:
    mail.outbox.clear()
    login("alpha_manager").post(
        PEOPLE, {"action": "save", "email": email, "full_name": "Nina Novak", "role": "approver"}
    )
    [invitation] = mail.outbox
    assert "(the link works once, for 7 days):" in invitation.body
    return (
        "/"
        + re.search(r"http://\S+/password-reset/\S+/", invitation.body).group(0).split("/", 3)[3]
    )


def test_an_invitation_link_still_works_the_next_morning(login, world, clinic_a, monkeypatch):
    path = _invite(login)
    user = User.objects.get(email="nina@clinic-a.test")
    token = path.rstrip("/").rsplit("/", 1)[1]
    # 16 hours later it still works (a reset link would have died after one); after 8 days not
    assert _Later(timedelta(hours=16)).check_token(user, token)
    assert not _Later(timedelta(days=8)).check_token(user, token)
    # and through the page, the next morning
    monkeypatch.setattr(invitation_token_generator, "_now", _Later(timedelta(hours=16))._now)
    client = Client()
    page = client.get(path, follow=True)
    html = page.content.decode()
    assert "Choose your password" in html and "For <strong>nina@clinic-a.test</strong>" in html
    assert "An invitation link works once, for 7 days after it was sent." in html
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    # once: the same link no longer works
    again = Client().get(path, follow=True).content.decode()
    assert "This link does not work" in again


def test_an_expired_invitation_says_to_ask_for_a_new_invitation(
    login, world, clinic_a, monkeypatch
):
    path = _invite(login)
    monkeypatch.setattr(invitation_token_generator, "_now", _Later(timedelta(days=8))._now)
    html = Client().get(path, follow=True).content.decode()
    assert "This link does not work" in html
    assert "An invitation link works once, for 7 days." in html
    assert "for a new invitation" in html
    assert "Ask for a new link" not in html  # the reset form skips people without a password


def test_a_reset_link_lasts_an_hour_and_an_invitation_token_is_no_reset_token(world, db):
    user = User.objects.create_user(
        email="reset-me@clinics.test", full_name="Reset Me", password="a long passphrase 42"
    )
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    # a token signed as an invitation does not open a reset for someone with a password
    forged = invitation_token_generator.make_token(user)
    refused = Client().get(f"/password-reset/{uid}/{forged}/", follow=True).content.decode()
    assert "This link does not work" in refused
    page = Client().get(
        f"/password-reset/{uid}/{default_token_generator.make_token(user)}/", follow=True
    )
    assert "A reset link works once, for an hour after it was sent." in page.content.decode()
