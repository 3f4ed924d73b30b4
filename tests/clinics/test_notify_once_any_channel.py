"""What waits for a person is told to them once per `ref` until it is done for them, whichever
channels they keep: one who turned the banner off (e-mail only, at once or hourly) is not
e-mailed again by each repeat, as one with the banner on is not; closing it (a reminder closes
first) tells them again (within a burst, in its one e-mail)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from clinics.models import Notification
from clinics.notifications import (
    email_bursts_send_due,
    notification_digests_send,
    notifications_close,
    people_notify,
    preference_set,
)

REF = "test:once"


def _notify(world, who, title="A reply waits for your clinic approval"):
    return people_notify(
        users=[world.users[who]], clinic=world.clinics["a"], kind="approval", ref=REF,
        title=title, url="/clinics/clinic-a/portal/approvals/",
    )  # fmt: skip


def _mailed(mailoutbox, user) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == [user.email]]


@pytest.mark.parametrize(
    ("in_app", "digest"),
    [(True, "immediate"), (False, "immediate"), (True, "hourly"), (False, "hourly")],
    ids=["banner-and-mail", "mail-only", "banner-and-digest", "digest-only"],
)
def test_a_repeat_tells_nobody_again_whatever_their_channels(
    world, db, mailoutbox, django_capture_on_commit_callbacks, in_app, digest
):
    # given
    approver = world.users["a_approver"]
    preference_set(user=approver, email=True, in_app=in_app, digest=digest)

    # when: the same thing is said three times (re-saved, re-sent) while it still waits
    with django_capture_on_commit_callbacks(execute=True):
        first = _notify(world, "a_approver")
        again = [_notify(world, "a_approver") for _ in range(2)]
        notification_digests_send()

    # then: told once, by their channels; the repeats tell nobody
    assert first == {approver.pk: (["in_app"] if in_app else []) + (
        ["email_digest"] if digest == "hourly" else ["email"]
    )}  # fmt: skip
    assert again == [{}, {}]
    subjects = _mailed(mailoutbox, approver)
    if digest == "hourly":
        assert subjects == ["1 thing(s) wait for you"]
    else:
        assert subjects == ["[Clinic A] A reply waits for your clinic approval"]
    assert Notification.objects.filter(user=approver, ref=REF).count() == (
        1 if in_app or digest == "hourly" else 0
    )


def test_once_done_it_is_told_again(
    world, db, mailoutbox, django_capture_on_commit_callbacks, notice_bursts
):
    # given: an e-mail-only approver was told
    approver = world.users["a_approver"]
    preference_set(user=approver, email=True, in_app=False, digest="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world, "a_approver")

    # when: it is done for them (someone acted, or a reminder closes it first), then said again
    with django_capture_on_commit_callbacks(execute=True):
        notifications_close(clinic=world.clinics["a"], ref=REF)
        told = _notify(world, "a_approver", title="Reminder: A reply waits for your approval")

    # then: the new one reaches them, in one e-mail when the burst the first one opened ends
    assert told == {approver.pk: ["email_held"]}
    with django_capture_on_commit_callbacks(execute=True):
        email_bursts_send_due(now=timezone.now() + settings.NOTICE_BURST_WINDOW)
    assert _mailed(mailoutbox, approver) == [
        "[Clinic A] A reply waits for your clinic approval",
        "1 thing waits for your approval — Clinic A",
    ]
    assert "- [Clinic A] Reminder: A reply waits for your approval\n" in mailoutbox[-1].body
