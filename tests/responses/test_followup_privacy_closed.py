"""A privacy request that redacts a review closes its open private follow-up: the follow-up's
trail says it closed because of a privacy request, its owner's notices about it close, and
its owner is told once (in their notification history and by e-mail) without a word of what
was redacted."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.services.privacy import reviews_redact
from responses.models import AuditEntry, PrivateConversation
from responses.services.private import followups_sweep
from tests.responses.conftest import REVIEW_TEXT, review_in

OWNER = "manager@alpha.test"
NOTES = "Sam R. on 555-0100, mother of Ava"
TITLE = "Your private follow-up was closed because of a privacy request"


def _follow_up(clinic, as_user, world, owner: str = "alpha_manager") -> tuple[int, int]:
    """A phone follow-up of a new review, owned by `owner`, with notes naming the person,
    overdue and told so: (the review's id, the follow-up's id)."""
    review = review_in(clinic)
    due = (timezone.now() + timedelta(hours=1)).isoformat()
    started = as_user("alpha_writer", clinic).post(
        f"reviews/{review.pk}/private-conversations/",
        {"channel": "phone", "owner_id": world.users[owner].pk, "due_at": due},
    )
    assert started.status_code == 201, started.json()
    pk = started.json()["id"]
    with schema_context(clinic.schema_name):
        PrivateConversation.objects.filter(pk=pk).update(notes=NOTES)
        assert followups_sweep(now=timezone.now() + timedelta(hours=2))["overdue"] == 1
    return review.pk, pk


def _told(user, pk: int):
    return Notification.objects.filter(user=user, ref__startswith=f"followup:{pk}:")


def test_a_redaction_closing_a_follow_up_tells_its_owner_once_without_the_details(
    clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    # given an open, overdue follow-up owned by the agency's manager
    review_id, pk = _follow_up(clinic_a, as_user, world)
    owner = world.users["alpha_manager"]
    assert set(_told(owner, pk).filter(open=True).values_list("kind", flat=True)) == {
        "follow_up", "follow_up_overdue"
    }  # fmt: skip
    mailoutbox.clear()

    # when its review is redacted at its author's request
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review_id])
        conversation = PrivateConversation.objects.get(pk=pk)
        [entry] = AuditEntry.objects.filter(
            object_type="private_conversation", object_id=pk, action="redacted"
        )

    # then it is closed, and its trail says why
    assert (conversation.status, conversation.outcome) == ("resolved", "review_updated")
    assert (entry.from_status, entry.to_status, entry.actor_name) == (
        "open",
        "resolved",
        "Privacy request",
    )
    assert entry.comment == (
        "Closed because of a privacy request: the person asked for their personal data to be "
        "removed, so its messages, notes and contact details were cleared."
    )
    # nothing about it waits for its owner any more
    assert not _told(owner, pk).filter(open=True).exists()
    # its owner is told once, in their history and by e-mail, with a link to it
    [told] = _told(owner, pk).filter(kind="follow_up_closed")
    assert (told.title, told.open, told.waits) == (TITLE, False, False)
    assert told.url == f"/clinics/clinic-a/follow-ups/{pk}/"
    [mail] = [m for m in mailoutbox if m.to == [OWNER]]
    assert mail.subject == f"[{clinic_a.name}] {TITLE}"
    assert (
        "The person asked for their personal data to be removed: its messages, notes and "
        "contact details were cleared, and it cannot go on. Nothing for you to do." in mail.body
    )
    assert f"/clinics/clinic-a/follow-ups/{pk}/" in mail.body
    # without repeating what was redacted
    for said in ("Sam", "555-0100", "Ava", REVIEW_TEXT):
        assert said not in mail.body and said not in told.title


def test_a_clinic_owner_is_told_with_a_link_to_the_portal(
    clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    review_id, pk = _follow_up(clinic_a, as_user, world, "a_approver")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review_id])

    [told] = _told(world.users["a_approver"], pk).filter(kind="follow_up_closed")
    assert (told.title, told.url) == (TITLE, f"/clinics/clinic-a/portal/follow-ups/?open={pk}")
    [mail] = [m for m in mailoutbox if m.to == [world.users["a_approver"].email]]
    assert TITLE in mail.body


def test_a_follow_up_already_closed_is_cleared_without_telling_anyone(
    clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    review_id, pk = _follow_up(clinic_a, as_user, world)
    closed = as_user("alpha_manager", clinic_a).patch(
        f"private-conversations/{pk}/", {"outcome": "solved"}
    )
    assert closed.json()["status"] == "resolved"
    before = _told(world.users["alpha_manager"], pk).count()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review_id])
        [entry] = AuditEntry.objects.filter(object_id=pk, action="redacted")

    assert entry.comment == (
        "Its messages, notes and contact details were cleared because of a privacy request."
    )
    assert _told(world.users["alpha_manager"], pk).count() == before
    assert not [m for m in mailoutbox if m.to == [OWNER]]


def test_a_deletion_at_the_authors_request_tells_the_owner_once(
    clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    review_id, pk = _follow_up(clinic_a, as_user, world)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review_id], delete=True)

    # settled first (the review is gone), then redacted: one notice, not two
    [told] = _told(world.users["alpha_manager"], pk).filter(kind="follow_up_closed")
    assert told.title == (
        "Your private follow-up was closed: its review was deleted at its author's request"
    )
    assert len([m for m in mailoutbox if m.to == [OWNER]]) == 1
