"""Closing a notice (the approval given, the thing done) takes it out of what the hourly digest
owes too: a person who already acted is not mailed "waits for you" about it an hour later,
whether they see notices on the pages or only in the digest. Someone still to act keeps it,
and an e-mail owed for information only still goes."""

from __future__ import annotations

import pytest

from clinics.models import Notification
from clinics.notifications import (
    notification_digests_send,
    notifications_close,
    notifications_replace,
    people_notify,
    preference_set,
)


def _approval(world, *who: str, ref: str = "reply:991"):
    return people_notify(
        users=[world.users[w] for w in who], clinic=world.clinics["a"], kind="approval",
        ref=ref, title="A reply waits for your agency approval", url="/clinics/clinic-a/",
    )  # fmt: skip


@pytest.mark.parametrize("in_app", [True, False], ids=["banner and digest", "digest only"])
def test_a_closed_notice_has_no_line_in_the_next_digest(
    world, db, mailoutbox, django_capture_on_commit_callbacks, in_app
):
    # given two people who take what waits for them in the hourly digest
    for who in ("alpha_owner", "alpha_manager"):
        preference_set(user=world.users[who], email=True, in_app=in_app, digest="hourly")
    _approval(world, "alpha_owner", "alpha_manager")
    assert Notification.objects.filter(ref="reply:991", email_pending=True).count() == 2
    # when the owner gives the step, the notice closes for everyone but the manager, who keeps
    # the same thing to do
    closed = notifications_close(
        clinic=world.clinics["a"], ref="reply:991", keep=[world.users["alpha_manager"]]
    )
    assert closed == 1
    # then the next digest has no line for the owner, and still one for the manager
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mailoutbox
    assert digest.to == [world.users["alpha_manager"].email]
    owner = Notification.objects.get(ref="reply:991", user=world.users["alpha_owner"])
    assert (owner.open, owner.email_pending, owner.emailed_at) == (False, False, None)


def test_closing_keeps_an_email_owed_for_information(world, db):
    # an e-mail owed for information (a burst of failures told as one) still says what happened
    people_notify(
        users=[world.users["alpha_writer"]], clinic=world.clinics["a"], kind="reply_failed",
        ref="reply:992:failed", title="Your reply was not posted", url="/clinics/clinic-a/",
        waits=False, email_later=True,
    )  # fmt: skip
    notifications_close(clinic=world.clinics["a"], ref="reply:992:failed")
    row = Notification.objects.get(ref="reply:992:failed")
    assert (row.open, row.email_pending) == (False, True)


def test_replacing_what_waits_keeps_what_was_handled_before_under_the_same_ref(world, db):
    # given legal handled an earlier request about a reply (closed), and a new one waits
    legal, clinic = world.users["a_legal"], world.clinics["a"]
    _approval(world, "a_legal", ref="reply:993")
    notifications_close(clinic=clinic, ref="reply:993")
    earlier = Notification.objects.get(ref="reply:993")
    _approval(world, "a_legal", ref="reply:993")

    # when the news replaces what waits for them
    assert notifications_replace(clinic=clinic, ref="reply:993", users=[legal]) == 1

    # then only the open request went; the one they handled stays in their history
    assert list(Notification.objects.filter(ref="reply:993").values_list("pk", flat=True)) == [
        earlier.pk
    ]
