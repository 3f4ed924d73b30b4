"""The writer of a batch (one answer for many mentions) is told, once per change and for their
information, when mentions are withdrawn from it because their reviews were settled elsewhere,
and when the whole batch is: in their notification history and by e-mail, with how many are
left, why, and a link to the batch. Whoever settled them is not told of their own action."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.models import ReplyDraft
from tests.responses.conftest import OK_TEXT, review_in

INBOX = "/clinics/clinic-a/inbox/"
WRITER = "writer@alpha.test"


def _batch(clinic, as_user, n: int = 3, *, submit: bool = True) -> tuple[int, list[int]]:
    reviews = [review_in(clinic) for _ in range(n)]
    writer = as_user("alpha_writer", clinic)
    created = writer.post(
        "reply-batches/", {"review_ids": [r.pk for r in reviews], "text": OK_TEXT}
    )
    assert created.status_code == 201, created.json()
    bid = created.json()["id"]
    if submit:
        assert writer.post(f"reply-batches/{bid}/submit/").status_code == 200
    return bid, [r.pk for r in reviews]


def _told(world, name: str, bid: int) -> list[Notification]:
    return list(
        Notification.objects.filter(
            user=world.users[name], ref__startswith=f"reply_batch:{bid}:"
        ).order_by("id")
    )


def test_the_writer_is_told_once_when_mentions_of_their_batch_are_withdrawn(
    clinic_a, as_user, login, world, mailoutbox, django_capture_on_commit_callbacks
):
    # given the writer's batch of three mentions, waiting for the agency
    bid, (first, second, third) = _batch(clinic_a, as_user)
    mailoutbox.clear()

    # when the agency's manager resolves two of them at once from the inbox
    with django_capture_on_commit_callbacks(execute=True):
        done = login("alpha_manager").post(INBOX, {"review": [first, second], "status": "resolved"})
    assert done.status_code == 302

    # then the writer is told once: how many, why, how many are left, with the batch's link
    [told] = _told(world, "alpha_writer", bid)
    assert told.kind == "reply_withdrawn"
    assert told.ref == f"reply_batch:{bid}:mentions_withdrawn"
    assert told.title == (
        "2 of the 3 mentions your batch answered were withdrawn, 1 left: their reviews were "
        "resolved in bulk from the inbox by Alpha Manager"
    )
    assert told.url == f"/clinics/clinic-a/replies/batches/{bid}/"
    assert (told.open, told.waits) == (False, False)
    [mail] = [m for m in mailoutbox if m.to == [WRITER]]
    assert mail.subject == f"[{clinic_a.name}] {told.title}"
    assert told.title in mail.body
    assert (
        "The approvals given stand for the other 1. No reply goes to the withdrawn ones. "
        "Nothing for you to do." in mail.body
    )
    assert f"/clinics/clinic-a/replies/batches/{bid}/" in mail.body
    # the manager who resolved them is not told of their own action, nor are the approvers
    assert _told(world, "alpha_manager", bid) == []
    assert _told(world, "alpha_owner", bid) == []
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(batch_id=bid, review_id=third).status == "pending_agency"

    # when the last mention is set aside too, the whole batch is withdrawn: told once more
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_manager").post(INBOX, {"review": [third], "status": "ignored"})

    [_, whole] = _told(world, "alpha_writer", bid)
    assert whole.kind == "reply_withdrawn"
    assert whole.title == (
        "Your reply to 1 mention was withdrawn: every mention it answered was "
        "settled, the last set aside from the inbox by Alpha Manager"
    )
    assert whole.url == f"/clinics/clinic-a/replies/batches/{bid}/"
    [mail] = [m for m in mailoutbox if m.to == [WRITER]]
    assert whole.title in mail.body and "Nobody is asked to approve it any more." in mail.body
    assert f"/clinics/clinic-a/replies/batches/{bid}/" in mail.body
    assert _told(world, "alpha_manager", bid) == []


def test_one_mention_withdrawn_is_said_in_the_singular(
    clinic_a, as_user, login, world, mailoutbox, django_capture_on_commit_callbacks
):
    bid, (first, *_) = _batch(clinic_a, as_user, 2)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_manager").post(INBOX, {"review": [first], "status": "ignored"})

    [told] = _told(world, "alpha_writer", bid)
    assert told.title == (
        "1 of the 2 mentions your batch answered was withdrawn, 1 left: its review was set "
        "aside from the inbox by Alpha Manager"
    )
    [mail] = [m for m in mailoutbox if m.to == [WRITER]]
    assert "No reply goes to the withdrawn one. Nothing for you to do." in mail.body


def test_a_writer_who_settles_a_mention_of_their_own_batch_is_not_told(
    clinic_a, as_user, login, world, mailoutbox, django_capture_on_commit_callbacks
):
    bid, (first, *_) = _batch(clinic_a, as_user, 2)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = login("alpha_writer").post(INBOX, {"review": [first], "status": "resolved"})
    assert done.status_code == 302

    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(batch_id=bid, review_id=first).status == "discarded"
    assert _told(world, "alpha_writer", bid) == []
    assert not [m for m in mailoutbox if m.to == [WRITER]]


def test_a_writer_submitting_their_batch_is_not_told_of_the_mentions_it_leaves_out(
    clinic_a, as_user, login, world, mailoutbox, django_capture_on_commit_callbacks
):
    bid, (first, *_) = _batch(clinic_a, as_user, 3, submit=False)
    login("alpha_manager").post(INBOX, {"review": [first], "status": "ignored"})
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        submitted = as_user("alpha_writer", clinic_a).post(f"reply-batches/{bid}/submit/")

    assert submitted.status_code == 200, submitted.json()
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(batch_id=bid, review_id=first).status == "discarded"
    assert _told(world, "alpha_writer", bid) == []
    assert not [m for m in mailoutbox if m.to == [WRITER]]
