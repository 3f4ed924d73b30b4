"""An answer to an e-mail sent in an agency's name reaches the agency: its support address is
the Reply-To (the From is the platform's one sending address, which nobody reads)."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from accounts.services import security_change_notice


def test_the_password_reset_mail_answers_to_the_agency(world, db):
    mail.outbox.clear()
    Client().post("/password-reset/", {"email": "a_approver@clinics.test"})
    [reset] = mail.outbox
    assert reset.reply_to == ["help@alpha.test"]


def test_a_security_notice_answers_to_the_agency(world, db, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        security_change_notice(
            user=world.users["a_approver"], subject="Password changed for your {brand} account",
            what="Your password was changed",
        )  # fmt: skip
    [notice] = mail.outbox
    assert notice.reply_to == ["help@alpha.test"]
