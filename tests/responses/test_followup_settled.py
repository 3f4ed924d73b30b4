"""A private follow-up still open on a review that is settled outside it (resolved or set
aside from the inbox, taken down on its platform, deleted at its author's request) waits for
nothing any more: it is closed with the outcome "Settled with the review", in that person's
name with the reason in its trail; its owner's notices about it close and its owner is told,
for their information. A review marked as replied keeps its follow-up open: a public reply
does not end a private conversation. Nobody picks "Settled with the review" themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.models import Review, Source
from feeds.services.ingest import ItemIn, reviews_upsert
from feeds.services.privacy import reviews_redact
from responses.models import AuditEntry, PrivateConversation
from responses.services.private import followups_sweep
from tests.responses.conftest import review_in

INBOX = "/clinics/clinic-a/inbox/"


def _follow_up(clinic, as_user, world, owner: str, review=None) -> tuple[Review, int]:
    """A phone follow-up of a new review, owned by `owner`, overdue and told so: (the
    review, the follow-up's id)."""
    review = review or review_in(clinic)
    due = (timezone.now() + timedelta(hours=1)).isoformat()
    started = as_user("alpha_writer", clinic).post(
        f"reviews/{review.pk}/private-conversations/",
        {"channel": "phone", "owner_id": world.users[owner].pk, "due_at": due},
    )
    assert started.status_code == 201, started.json()
    with schema_context(clinic.schema_name):
        assert followups_sweep(now=timezone.now() + timedelta(hours=2))["overdue"] == 1
    return review, started.json()["id"]


def _conversation(clinic, pk: int) -> PrivateConversation:
    with schema_context(clinic.schema_name):
        return PrivateConversation.objects.get(pk=pk)


def _open_for(user, pk: int) -> set[str]:
    return set(
        Notification.objects.filter(
            user=user, ref__startswith=f"followup:{pk}:", open=True
        ).values_list("kind", flat=True)
    )


@pytest.mark.parametrize(
    ("owner", "url"),
    [
        ("alpha_manager", "/clinics/clinic-a/follow-ups/{pk}/"),
        ("a_approver", "/clinics/clinic-a/portal/follow-ups/?open={pk}"),
    ],
    ids=["agency-owner", "clinic-owner"],
)
def test_resolving_its_review_in_bulk_closes_the_follow_up_and_tells_its_owner(
    clinic_a, as_user, login, world, mailoutbox, queued, django_capture_on_commit_callbacks,
    owner, url,
):  # fmt: skip
    review, pk = _follow_up(clinic_a, as_user, world, owner)
    person = world.users[owner]
    assert _open_for(person, pk) == {"follow_up", "follow_up_overdue"}
    mailoutbox.clear()

    # when the agency's owner resolves its review (and another) in bulk from the inbox
    with django_capture_on_commit_callbacks(execute=True):
        done = login("alpha_owner").post(
            INBOX, {"review": [review.pk, review_in(clinic_a).pk], "status": "resolved"}
        )
    assert done.status_code == 302

    # then the follow-up is closed, settled with the review, the reason in its trail
    conversation = _conversation(clinic_a, pk)
    assert (conversation.status, conversation.outcome) == ("resolved", "settled")
    assert conversation.get_outcome_display() == "Settled with the review"
    assert conversation.closed_at is not None
    with schema_context(clinic_a.schema_name):
        [entry] = AuditEntry.objects.filter(
            object_type="private_conversation", object_id=pk, action="resolved"
        )
        assert Review.objects.get(pk=review.pk).status == "resolved"
    assert (entry.actor_name, entry.from_status, entry.comment, entry.detail["outcome"]) == (
        "Alpha Owner", "open", "The review was resolved in bulk from the inbox by Alpha Owner.",
        "settled",
    )  # fmt: skip
    # its owner owes nothing any more: what waited for them about it closed
    assert _open_for(person, pk) == set()
    # and they are told, for their information, where to read it
    [told] = Notification.objects.filter(user=person, kind="follow_up_closed")
    assert (told.open, told.waits, told.url) == (False, False, url.format(pk=pk))
    assert told.title == (
        "Your private follow-up was closed: its review was resolved in bulk from the inbox by "
        "Alpha Owner"
    )
    [mail] = [m for m in mailoutbox if m.to == [person.email]]
    assert "Settled with the review" in mail.body
    # the follow-up's page says how it ended
    page = login("alpha_writer").get(f"/clinics/clinic-a/follow-ups/{pk}/").content.decode()
    assert "Settled with the review" in page


def test_marking_its_review_as_replied_leaves_the_follow_up_open(clinic_a, as_user, login, world):
    review, pk = _follow_up(clinic_a, as_user, world, "alpha_manager")

    login("alpha_owner").post(INBOX, {"review": [review.pk], "status": "replied"})

    assert _conversation(clinic_a, pk).status == "open"
    assert _open_for(world.users["alpha_manager"], pk) == {"follow_up", "follow_up_overdue"}


def test_its_owner_setting_the_review_aside_is_not_told_of_their_own_action(
    clinic_a, as_user, login, world
):
    review, pk = _follow_up(clinic_a, as_user, world, "alpha_manager")

    login("alpha_manager").post(INBOX, {"review": [review.pk], "status": "ignored"})

    conversation = _conversation(clinic_a, pk)
    assert (conversation.status, conversation.outcome) == ("resolved", "settled")
    with schema_context(clinic_a.schema_name):
        [entry] = AuditEntry.objects.filter(object_id=pk, action="resolved")
    assert entry.comment == "The review was set aside from the inbox by Alpha Manager."
    assert _open_for(world.users["alpha_manager"], pk) == set()
    assert not Notification.objects.filter(kind="follow_up_closed").exists()


def test_a_review_taken_down_or_deleted_at_its_authors_request_closes_its_follow_up(
    clinic_a, as_user, world
):
    taken_down, first = _follow_up(clinic_a, as_user, world, "alpha_manager")
    deleted, second = _follow_up(clinic_a, as_user, world, "alpha_manager")

    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=taken_down.pk)
        reviews_upsert(
            source=Source.objects.get(pk=review.source_id),
            items=[ItemIn(external_id=review.external_id, text=review.text,
                          published_at=review.published_at, author_name=review.author_name,
                          rating=review.rating, deleted=True)],
        )  # fmt: skip
        reviews_redact(review_ids=[deleted.pk], delete=True)
        trail = dict(
            AuditEntry.objects.filter(object_id__in=[first, second], action="resolved")
            .values_list("object_id", "comment")
        )  # fmt: skip

    for pk in (first, second):
        conversation = _conversation(clinic_a, pk)
        assert (conversation.status, conversation.outcome) == ("resolved", "settled")
    assert trail == {
        first: "The review was taken down on its platform.",
        second: "The review was deleted at its author's request.",
    }
    told = Notification.objects.filter(user=world.users["alpha_manager"], kind="follow_up_closed")
    assert sorted(told.values_list("title", flat=True)) == [
        "Your private follow-up was closed: its review was deleted at its author's request",
        "Your private follow-up was closed: its review was taken down on its platform",
    ]
    assert _open_for(world.users["alpha_manager"], first) == set()


def test_its_owner_closing_it_closes_every_notice_about_it(clinic_a, as_user, world):
    _, pk = _follow_up(clinic_a, as_user, world, "alpha_manager")

    done = as_user("alpha_manager", clinic_a).patch(
        f"private-conversations/{pk}/", {"outcome": "solved"}
    )

    assert done.json()["status"] == "resolved"
    assert _open_for(world.users["alpha_manager"], pk) == set()


def test_nobody_picks_settled_with_the_review_as_how_a_follow_up_ended(
    clinic_a, as_user, login, world
):
    _, pk = _follow_up(clinic_a, as_user, world, "alpha_manager")

    refused = as_user("alpha_manager", clinic_a).patch(
        f"private-conversations/{pk}/", {"outcome": "settled"}
    )

    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["outcome"]
    assert _conversation(clinic_a, pk).status == "open"
    # nor do the follow-up's forms offer it
    page = login("alpha_writer").get(f"/clinics/clinic-a/follow-ups/{pk}/").content.decode()
    assert 'value="settled"' not in page
