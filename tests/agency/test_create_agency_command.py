"""`create_agency --owner-email` without `--owner-password` invites the owner to choose a
password (an account without one could never sign in: "Forgot your password?" skips it)."""

from __future__ import annotations

import re
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.test import Client

from accounts.models import User


def test_an_owner_without_a_password_is_invited_to_choose_one(db):
    mail.outbox.clear()
    out = StringIO()
    call_command(
        "create_agency", "--name", "Harbor & Pine", "--slug", "harbor-pine",
        "--support-email", "help@harbor.test", "--owner-email", "hanna@harbor.test",
        "--owner-name", "Hanna", stdout=out,
    )  # fmt: skip
    assert "An invitation e-mail to hanna@harbor.test has a link to choose a password" in (
        out.getvalue()
    )
    [invitation] = mail.outbox
    assert invitation.to == ["hanna@harbor.test"]
    assert invitation.subject == "You are invited to Harbor & Pine"
    assert "Harbor & Pine" in invitation.from_email
    link = re.search(r"http://\S+(/password-reset/\S+/)", invitation.body).group(1)
    opened = Client().get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")


def test_an_owner_given_a_password_gets_no_invitation(db):
    mail.outbox.clear()
    call_command(
        "create_agency", "--name", "Cedar", "--slug", "cedar", "--support-email", "h@cedar.test",
        "--owner-email", "o@cedar.test", "--owner-password", "a long passphrase 42",
        stdout=StringIO(),
    )  # fmt: skip
    assert mail.outbox == []
    assert User.objects.get(email="o@cedar.test").has_usable_password()
