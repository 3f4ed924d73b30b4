"""An answer to an e-mail sent in an agency's name reaches the agency: its support address is
the Reply-To (the From is the platform's one sending address, which nobody reads), on the
password reset, the security notices, the notices, a burst's e-mail, the hourly digest and the
monthly report (tests/reports/test_send.py); no Reply-To when the agency has no address."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.services import security_change_notice
from agency.models import Agency
from clinics.models import Clinic
from clinics.notifications import (
    email_bursts_send_due,
    notification_digests_send,
    notifications_owed_send,
    people_notify,
    preference_set,
)


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


def _approval(approver, clinic, ref):
    return people_notify(
        users=[approver], clinic=clinic, kind="approval", ref=ref,
        title=f"{ref} waits for your approval", url="/clinics/clinic-a/portal/approvals/",
    )  # fmt: skip


def test_a_notice_its_burst_and_the_hourly_digest_answer_to_the_agency(
    world, clinic_a, mailoutbox, queued, notice_bursts, django_capture_on_commit_callbacks
):
    # given an approval e-mailed at once, then two more within the burst's window
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3):
            _approval(approver, clinic_a, f"reply:{8100 + n}")
    with django_capture_on_commit_callbacks(execute=True):
        email_bursts_send_due(now=timezone.now() + settings.NOTICE_BURST_WINDOW)
    # and, for someone on the hourly digest, one in their digest
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    with django_capture_on_commit_callbacks(execute=True):
        _approval(writer, clinic_a, "reply:8200")
        notification_digests_send()
    notice, burst = (m for m in mailoutbox if m.to == [approver.email])
    [digest] = (m for m in mailoutbox if m.to == [writer.email])
    assert burst.subject == "2 replies wait for your approval — Clinic A"
    assert digest.subject.endswith("wait for you")
    for message in (notice, burst, digest):
        assert message.reply_to == ["help@alpha.test"], message.subject


def test_owed_notices_sent_as_one_answer_to_the_agency(
    world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    writer = world.users["alpha_writer"]
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2):
            people_notify(
                users=[writer], clinic=clinic_a, kind="reply_published", ref=f"reply:{8400 + n}",
                title=f"Reply {n} published", url="/clinics/clinic-a/replies/", waits=False,
                email_later=True,
            )  # fmt: skip
        notifications_owed_send(
            clinic=clinic_a, user_id=writer.pk, kind="reply_published", quiet=timedelta(0),
            longest=timedelta(0), title_many=lambda n: f"{n} replies published",
        )  # fmt: skip
    [owed] = mailoutbox
    assert owed.subject == "[Clinic A] 2 replies published"
    assert owed.reply_to == ["help@alpha.test"]


def test_without_a_support_address_the_mails_have_no_reply_to(
    world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    Agency.objects.filter(pk=clinic_a.agency_id).update(support_email="")  # rolled back after
    clinic = Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _approval(world.users["a_approver"], clinic, "reply:8300")
    [notice] = mailoutbox
    assert notice.reply_to == []
    assert "Reply-To" not in notice.message()
