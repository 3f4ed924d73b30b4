"""The page a password link opens (an invitation or a reset) names the account it sets, and
the person is signed in once it is set; when someone else is signed in in that browser it says
so and refuses until they sign out; and a password rule's message belongs to the password
field."""

from __future__ import annotations

import re

from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import password_link_generator
from tests.fixtures.tenants import PASSWORD, otp_verify_session

NEW = "a long new passphrase 93"


def _invited(email="larry.legal2@clinics.test", full_name="Larry Legal") -> User:
    user = User.objects.create_user(email=email, full_name=full_name)
    user.set_unusable_password()
    user.save()
    return user


def _link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_link_generator(user).make_token(user)  # an invitation's or a reset's
    return f"/password-reset/{uid}/{token}/"


def _open(client: Client, user: User):
    """GET the link as an e-mail client would: (the form page, the address it posts to)."""
    page = client.get(_link(user), follow=True)
    return page, page.redirect_chain[-1][0]


def test_the_invitation_page_and_the_page_after_it_name_the_account(world, db):
    larry = _invited()
    client = Client()
    page, form_url = _open(client, larry)
    html = page.content.decode()
    # a short heading; the account on a line of its own (a phone's screen is narrow)
    assert '<h1 id="newpw-h">Choose your password</h1>' in html
    assert "For <strong>larry.legal2@clinics.test</strong> (Larry Legal)" in html
    assert "You are signed in once it is set." in html
    assert "someone-else" not in html
    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    # signed in at once (no second factor for a clinic's people), where signing in leads
    assert done.redirect_chain[0][0] == "/start/"
    assert client.session["_auth_user_id"] == str(larry.pk)
    html = done.content.decode()
    assert "Your password is set: you are signed in as larry.legal2@clinics.test." in html


def _fresh(user: User) -> User:
    # the world's instances may carry another test's last_login, which is in the token
    return User.objects.get(pk=user.pk)


def test_a_reset_page_names_the_account_too(world, db):
    viewer = _fresh(world.users["a_viewer"])
    page, form_url = _open(Client(), viewer)
    html = page.content.decode()
    assert '<h1 id="newpw-h">Set a new password</h1>' in html
    assert "For <strong>a_viewer@clinics.test</strong> (A Viewer)" in html


def test_someone_else_signed_in_is_told_and_refused_until_they_sign_out(world, db):
    """Refusing is the safer choice over setting the password and then signing the other
    person out: by then they have chosen, and know, the invited person's password, and the
    invited person never learns that it happened. So the page says who is signed in, shows
    no password fields, a POST changes nothing (409), and "Sign out and continue" signs them
    out and comes back to the same link, for the right person."""
    larry = _invited()
    avery = _fresh(world.users["a_approver"])
    client = Client()
    client.force_login(avery)
    otp_verify_session(client, avery)
    # when: Avery opens Larry's invitation on the shared phone
    page, form_url = _open(client, larry)
    html = page.content.decode()
    # then: told, plainly, with no password fields
    assert page.status_code == 200
    assert (
        "You are signed in as a_approver@clinics.test (A Approver), not as "
        "larry.legal2@clinics.test." in html
    )
    assert 'name="new_password1"' not in html
    # a POST anyway is refused and changes nothing
    refused = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert refused.status_code == 409
    larry.refresh_from_db()
    assert not larry.has_usable_password()
    # "Sign out … and continue" posts to the sign-out with the link to come back to
    form = re.search(r'<form[^>]*id="sign-out-continue">.*?</form>', html, re.S).group(0)
    assert 'action="/logout/"' in form
    next_url = re.search(r'name="next" value="([^"]+)"', form).group(1)
    assert "Sign out a_approver@clinics.test and continue" in form
    out = client.post("/logout/", {"next": next_url}, follow=True)
    html = out.content.decode()
    assert "_auth_user_id" not in client.session
    assert 'name="new_password1"' in html and "You are signed in as" not in html
    assert "For <strong>larry.legal2@clinics.test</strong> (Larry Legal)" in html
    done = client.post(
        out.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert done.redirect_chain[0][0] == "/start/"
    assert client.session["_auth_user_id"] == str(larry.pk)
    larry.refresh_from_db()
    assert larry.check_password(NEW)
    avery.refresh_from_db()
    assert avery.check_password(PASSWORD)


def test_the_same_person_signed_in_may_reset_their_own_password(world, db):
    viewer = _fresh(world.users["a_viewer"])
    client = Client()
    client.force_login(viewer)
    page, form_url = _open(client, viewer)
    assert "You are signed in as" not in page.content.decode()
    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password(NEW)


def test_a_password_rule_is_told_at_the_password_field_not_at_the_repeat(world, db):
    client = Client()
    page, form_url = _open(client, _invited())
    response = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"new_password1": ["This password is too common."]}
    html = response.content.decode()
    first = re.search(r'<input type="password" name="new_password1"[^>]*>', html).group(0)
    second = re.search(r'<input type="password" name="new_password2"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in first and 'aria-describedby="pw-help pw1-error"' in first
    assert "aria-invalid" not in second and "aria-describedby" not in second
    assert (
        '<div class="error" id="pw1-error" role="alert">This password is too common.</div>' in html
    )


def test_a_mismatch_stays_at_the_repeat(world, db):
    client = Client()
    page, form_url = _open(client, _invited())
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW + "x"})
    assert set(response.context["form"].errors) == {"new_password2"}
