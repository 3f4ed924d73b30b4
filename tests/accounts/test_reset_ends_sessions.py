"""A two-factor reset ("lost phone", walk 9 #19) ends every session and personal token of
the person, and enrolling a new app afterwards needs the password typed after the reset; a
lockout (#20) is e-mailed once, shown on the staff page and lifted by an owner (audited)."""

from __future__ import annotations

import base64
import contextlib
import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PersonalToken, SecurityEvent, User
from accounts.services import SignInFailed, user_authenticate, user_token_issue
from accounts.views import PASSWORD_AT_SESSION_KEY
from agency.models import AgencyMembership
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD

STAFF = "/agency/settings/people/"
SETUP = "/account/two-factor/setup/"


def _reset(login, world, who="alpha_writer"):
    membership = AgencyMembership.objects.get(user=world.users[who])
    return login("alpha_owner").post(
        STAFF, {"action": "reset_two_factor", "membership": membership.pk, "confirm": "yes"}
    )


def _secret(html: str) -> bytes:
    return base64.b32decode(re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1))


def test_a_reset_signs_out_the_lost_devices_session_and_revokes_tokens(login, world):
    writer = world.users["alpha_writer"]
    session_a = login("alpha_writer")  # the laptop that was lost with the phone
    assert session_a.get("/agency/").status_code == 200
    token, issued = user_token_issue(user=writer, name="script")
    _reset(login, world)
    # session A's next request is signed out: it cannot enrol a new app
    answer = session_a.get("/agency/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
    assert session_a.get(SETUP)["Location"].startswith("/login/")
    assert not TOTPDevice.objects.filter(user=writer).exists()
    # the personal token stopped too
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert bearer.get("/api/v1/auth/tokens/").status_code == 401
    reasons = SecurityEvent.objects.filter(target_user_id=writer.pk).values_list("event", "detail")
    assert ("sessions.ended", {"reason": "two_factor_reset"}) in list(reasons)


def test_a_fresh_sign_in_with_the_password_then_enrols(login, world):
    _reset(login, world)
    client = Client()
    signed = client.post("/login/", {"username": "writer@alpha.test", "password": PASSWORD})
    assert signed["Location"].startswith(SETUP)
    page = client.get(SETUP).content.decode()
    assert 'name="password"' not in page  # the password was typed a moment ago
    enrolled = client.post(SETUP, {"otp_token": totp_now(_secret(page)), "next": "/"})
    assert enrolled.status_code == 200 and "Two-factor sign-in is on." in enrolled.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_writer"], confirmed=True).exists()


def test_a_session_whose_password_is_not_fresh_is_asked_for_it_again(login, world):
    writer = world.users["alpha_writer"]
    _reset(login, world)
    client = Client()
    client.post("/login/", {"username": "writer@alpha.test", "password": PASSWORD})
    session = client.session
    session[PASSWORD_AT_SESSION_KEY] = (timezone.now() - timedelta(minutes=20)).timestamp()
    session.save()
    page = client.get(SETUP).content.decode()
    assert 'type="password" name="password"' in page
    assert "Your two-factor sign-in was reset: confirm it is you with your password." in page
    code = totp_now(_secret(page))
    # no password, or a wrong one: refused, nothing enrolled, a wrong one counted
    assert client.post(SETUP, {"otp_token": code}).status_code == 400
    wrong = client.post(SETUP, {"otp_token": code, "password": "not it"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=writer, confirmed=True).exists()
    assert User.objects.get(pk=writer.pk).failed_login_count == 1
    right = client.post(SETUP, {"otp_token": code, "password": PASSWORD, "next": "/"})
    assert right.status_code == 200
    assert TOTPDevice.objects.filter(user=writer, confirmed=True).exists()


def _lock(email: str) -> None:
    for _ in range(6):
        with contextlib.suppress(SignInFailed):  # every attempt is refused
            user_authenticate(email=email, password="wrong", ip="10.9.9.9")


def test_a_lockout_is_e_mailed_once(world, db, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _lock("analyst@alpha.test")
        _lock("analyst@alpha.test")  # still locked: no second mail
    [notice] = mail.outbox
    assert notice.to == ["analyst@alpha.test"]
    assert notice.subject == "Your Alpha Agency account is locked for 15 minutes"
    assert notice.from_email.startswith("Alpha Agency <")
    until = User.objects.get(email="analyst@alpha.test").locked_until
    assert f"It unlocks by itself at {until:%Y-%m-%d %H:%M} UTC (15 minutes)" in notice.body
    assert "/password-reset/" in notice.body
    assert "If this was not you, someone is trying to guess your password" in notice.body


def test_the_staff_page_shows_sign_in_state_and_an_owner_unlocks(login, world):
    _lock("analyst@alpha.test")
    analyst = world.users["alpha_analyst"]
    membership = AgencyMembership.objects.get(user=analyst)
    page = login("alpha_owner").get(STAFF).content.decode()
    cell = re.search(r'<td data-sign-in="analyst@alpha.test">(.*?)</td>', page, re.S).group(1)
    assert "locked until" in cell and 'aria-label="Unlock analyst@alpha.test"' in cell
    assert "two-factor on" in cell and "never signed in" in cell
    # a manager sees the state but may not unlock
    manager_page = login("alpha_manager").get(STAFF).content.decode()
    assert 'aria-label="Unlock analyst@alpha.test"' not in manager_page
    refused = login("alpha_manager").post(STAFF, {"action": "unlock", "membership": membership.pk})
    assert refused.status_code == 400
    assert User.objects.get(pk=analyst.pk).locked_until is not None
    done = login("alpha_owner").post(
        STAFF, {"action": "unlock", "membership": membership.pk}, follow=True
    )
    assert "analyst@alpha.test unlocked: they can sign in again now." in done.content.decode()
    assert User.objects.get(pk=analyst.pk).locked_until is None
    event = SecurityEvent.objects.get(event="login.unlocked")
    assert (event.actor_id, event.target_user_id) == (world.users["alpha_owner"].pk, analyst.pk)


def test_the_account_page_names_the_token_endpoint(login):
    page = login("a_viewer").get("/account/").content.decode()
    assert "<code>POST /api/v1/auth/token/</code>" in page
    assert "/api/v1/auth/tokens/</code>" not in page
