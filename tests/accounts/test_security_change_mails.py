"""Each change the security log records about a person's own sign-in (two-factor on, off or
moved, backup codes, password changed or reset, signed out everywhere else, a personal token
issued) e-mails the person (`accounts.services.security_change_notice`), so a change they did
not make is noticed."""

from __future__ import annotations

import base64
import re

from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PersonalToken, SecurityEvent, User
from accounts.services import sessions_end_elsewhere, user_token_issue
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD


def _told(user, subject: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    assert message.subject == subject
    assert "If this was not you, reset your password now" in message.body
    return message.body


def test_turning_two_factor_on_and_off_e_mails_a_clinic_person_each_time(
    world, db, django_capture_on_commit_callbacks
):
    user = world.users["a_approver"]
    client = Client()
    client.post("/login/", {"username": user.email, "password": PASSWORD, "next": "/"})
    html = client.get("/account/two-factor/setup/").content.decode()
    key = base64.b32decode(re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1))
    mail.outbox.clear()
    # when: turned on
    with django_capture_on_commit_callbacks(execute=True):
        on = client.post("/account/two-factor/setup/", {"otp_token": totp_now(key)})
    # then: logged and e-mailed
    assert on.status_code in (200, 302)
    assert SecurityEvent.objects.filter(actor_id=user.pk, event="otp.enrolled").exists()
    body = _told(user, "Two-factor sign-in turned on for your Alpha Agency account")
    assert "Two-factor sign-in was turned on for your account" in body
    # when: turned off again
    mail.outbox.clear()
    device = TOTPDevice.objects.get(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        off = client.post("/account/two-factor/disable/", {"otp_token": totp_now(device)})
    assert off.status_code == 302
    _told(user, "Two-factor sign-in turned off for your Alpha Agency account")


def test_signing_out_everywhere_else_e_mails_the_person(
    world, db, django_capture_on_commit_callbacks
):
    # a copy: the bump of the session epoch must not reach the process-wide user object
    user = User.objects.get(pk=world.users["alpha_writer"].pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sessions_end_elsewhere(user=user)
    _told(user, "You were signed out of Alpha Agency everywhere else")


def test_a_personal_token_issued_e_mails_the_person(world, db, django_capture_on_commit_callbacks):
    user = world.users["alpha_writer"]
    mail.outbox.clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            token, _ = user_token_issue(user=user, name="laptop script")
        body = _told(user, "A personal token was issued for your Alpha Agency account")
        assert f"A personal token “laptop script” (cwt_{token.prefix}_…) was issued" in body
    finally:
        PersonalToken.objects.filter(user=user, name="laptop script").delete()
