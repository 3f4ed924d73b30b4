"""Password reset by e-mail: the same answer whether the address exists or not, a link that
works once, throttled, and it lifts a lockout."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User


@pytest.fixture
def fresh_cache():
    from django.core.cache import caches

    caches["default"].clear()
    yield


def _link(message) -> str:
    return re.search(r"http://\S+/password-reset/\S+/\S+/", message.body).group(0)


def test_reset_sends_a_link_that_sets_a_new_password_once(world, db, fresh_cache, settings):
    settings.PUBLIC_BASE_URL = "http://portal.test"
    client = Client()
    response = client.post("/password-reset/", {"email": "A_Viewer@clinics.test"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a_viewer@clinics.test"]
    # in the brand the clinic's people know, from its sender
    assert message.subject == "Reset your Alpha Agency password"
    assert message.from_email.startswith("Alpha Agency <")
    assert "your Alpha Agency account a_viewer@clinics.test" in message.body
    link = _link(message)
    assert link.startswith("http://portal.test/password-reset/")
    path = link.removeprefix("http://portal.test")
    # the link leads to the form (Django swaps the token for a session marker)
    form = client.get(path, follow=True)
    assert "Set a new password" in form.content.decode()
    # a weak password is refused with the reason
    weak = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "too common" in weak.content.decode() or "entirely numeric" in weak.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    # signed in with the new password at once, where signing in leads
    assert done.status_code == 302 and done["Location"] == "/start/"
    assert client.session["_auth_user_id"] == str(world.users["a_viewer"].pk)
    assert User.objects.get(email="a_viewer@clinics.test").check_password(
        "a new long passphrase 42"
    )
    # the same link does not work twice
    assert "This link does not work" in Client().get(path, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(world, db, fresh_cache):
    response = Client().post("/password-reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_a_bad_address_is_a_form_error(db, fresh_cache):
    response = Client().post("/password-reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


def test_resets_are_throttled_per_address_silently_and_per_client_loudly(world, db, fresh_cache):
    client = Client()
    for _ in range(5):
        assert (
            client.post("/password-reset/", {"email": "a_legal@clinics.test"})["Location"]
            == "/password-reset/sent/"
        )
    assert len(mail.outbox) == 3  # RESET_PER_ADDRESS_PER_HOUR; the answer did not change
    for i in range(5):
        client.post("/password-reset/", {"email": f"someone{i}@nowhere.test"})
    refused = client.post("/password-reset/", {"email": "b_approver@clinics.test"})
    assert refused.status_code == 429
    assert "Too many reset requests from here" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_a_reset_lifts_the_lockout(world, db, fresh_cache):
    from django.utils import timezone

    user = User.objects.get(email="b_approver@clinics.test")
    User.objects.filter(pk=user.pk).update(
        locked_until=timezone.now() + timezone.timedelta(minutes=10), failed_login_count=0
    )
    client = Client()
    client.post("/password-reset/", {"email": user.email})
    form = client.get("/" + _link(mail.outbox[0]).split("/", 3)[3], follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another good passphrase", "new_password2": "another good passphrase"},
    )
    user.refresh_from_db()
    assert user.locked_until is None
    login = Client().post(
        "/login/", {"username": user.email, "password": "another good passphrase"}
    )
    assert login.status_code == 302


def test_the_reset_email_reads_the_same_in_every_mail_reader(world, db, fresh_cache):
    # given a person whose name is not plain ASCII
    User.objects.filter(pk=world.users["a_viewer"].pk).update(full_name="José Núñez")

    Client().post("/password-reset/", {"email": "a_viewer@clinics.test"})

    # then the body goes quoted-printable (7-bit), and decodes to the words sent
    [message] = mail.outbox
    raw = message.message().as_bytes()
    raw.decode("ascii")
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    assert modern["Content-Transfer-Encoding"] == "quoted-printable"
    assert str(modern["Subject"]) == "Reset your Alpha Agency password"
    assert modern.get_content().startswith("Hello José Núñez,\n")
    legacy = email.message_from_string(raw.decode("ascii"))
    assert legacy.get_payload(decode=True).decode("utf-8") == modern.get_content()
