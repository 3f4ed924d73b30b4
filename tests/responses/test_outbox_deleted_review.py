"""An approved reply still queued when its review is deleted (at its author's request, or
taken down by its platform) is never published: its delivery is cancelled with the reason, its
reply is discarded, and its writer is told. A delivery already claimed checks the review
before it sends."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.models import Review
from feeds.services.privacy import reviews_redact
from responses.models import AuditEntry, OutboxItem, ReplyDraft
from responses.services.delivery import reply_outcome_tell
from responses.services.outbox import WRITER_TASK, outbox_deliver
from tests.responses.conftest import OK_TEXT, review_in

WHY = (
    "Not published: its review was deleted (at its author's request, or taken down by its "
    "platform), so there is nothing to reply to."
)


def _approved(clinic, as_user, review) -> tuple[int, int]:
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    as_user("alpha_manager", clinic).post(f"drafts/{pk}/approve/")
    approved = as_user("a_approver", clinic).post(f"drafts/{pk}/approve/").json()
    assert approved["status"] == "approved", approved
    return pk, approved["outbox"][0]["id"]


def _tell_writer(clinic, queued, capture) -> list[str]:
    with capture(execute=True), schema_context(clinic.schema_name):
        done = [
            reply_outcome_tell(item_id=a[0], outcome=a[1]) for n, a in queued if n == WRITER_TASK
        ]
    queued.clear()
    return done


def test_a_reply_queued_for_a_review_deleted_at_its_authors_request_is_cancelled(
    platforms, clinic_a, world, as_user, queued, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    review = review_in(clinic_a, fake=platforms)
    draft_id, item_id = _approved(clinic_a, as_user, review)
    queued.clear()
    mailoutbox.clear()

    # when the review is deleted at its author's request before the reply goes out
    with capture(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review.pk], delete=True)

    # then its delivery is cancelled with the reason, and the reply will never be posted
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(pk=item_id)
        assert (item.status, item.last_error) == ("cancelled", WHY)
        assert ReplyDraft.objects.get(pk=draft_id).status == "discarded"
        entry = AuditEntry.objects.get(object_type="reply", object_id=draft_id,
                                       action="publish_cancelled")  # fmt: skip
        assert (entry.comment, entry.actor_name) == (WHY, "Privacy request")
        assert outbox_deliver(item_id=item_id) == "skipped"
    assert platforms.requests_for("google", method="PUT") == []
    # and its writer is told, once
    assert _tell_writer(clinic_a, queued, capture) == ["told the writer: ['email']"]
    told = Notification.objects.get(user=world.users["alpha_writer"], kind="reply_withdrawn")
    # (the reviewer's name was removed at their request: the review is named without it)
    assert told.title.startswith("Your reply to a 2★ Google Business Profile review of ")
    assert told.title.endswith(" was not published: its review was deleted")
    assert told.open is False  # for her information: nothing waits for her
    [mail] = mailoutbox
    assert mail.to == [world.users["alpha_writer"].email] and "Nothing for you to do." in mail.body


def test_a_delivery_claimed_after_its_review_was_taken_down_is_cancelled_not_sent(
    platforms, clinic_a, world, as_user, queued, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    draft_id, item_id = _approved(clinic_a, as_user, review)
    queued.clear()
    # the review disappeared without the settling path (a row marked deleted directly)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(is_deleted=True)
        assert outbox_deliver(item_id=item_id) == "cancelled"
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(pk=item_id)
        assert (item.status, item.last_error) == ("cancelled", WHY)
        assert ReplyDraft.objects.get(pk=draft_id).status == "discarded"
    assert platforms.requests_for("google", method="PUT") == []
    assert [(n, a) for n, a in queued if n == WRITER_TASK] == [
        (WRITER_TASK, (item_id, "cancelled"))
    ]


def test_a_reply_to_a_review_still_there_is_not_cancelled(
    platforms, clinic_a, as_user, login, queued
):
    review = review_in(clinic_a, fake=platforms)
    _draft_id, item_id = _approved(clinic_a, as_user, review)
    # resolved from the inbox: the reply goes out as approved
    login("alpha_manager").post("/clinics/clinic-a/inbox/", {"review": [review.pk],
                                                               "status": "resolved"})  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(pk=item_id).status == "pending"
        assert outbox_deliver(item_id=item_id) == "sent"
