"""What the outbox does with a platform's answers that are neither a success nor an outage:
a review removed on the platform (the reply is cancelled, the review marked deleted, unless
the channel itself does not answer), a reply the business already posted on Google itself
(never replaced), and a reply held back by a long rate limit that the team posted by hand
meanwhile (marked posted, then never sent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review, ReviewRevision, Source
from responses.models import OutboxItem, ReplyDraft
from tests.responses.conftest import approved_reply, deliver_in, review_in

GONE = (
    "Not published: its review was deleted (at its author's request, or taken down by its "
    "platform), so there is nothing to reply to."
)


def _item(clinic, item_id) -> OutboxItem:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.select_related("review").get(pk=item_id)


def test_a_reply_to_a_review_removed_on_google_is_cancelled_and_the_review_marked_deleted(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    approved = approved_reply(clinic_a, as_user, review)
    item_id = approved["delivery"][0]["outbox_id"]
    # the author deleted it on Google after the reply was approved
    del platforms.google_reviews[review.external_id]

    with django_capture_on_commit_callbacks(execute=False):
        assert deliver_in(clinic_a, item_id) == "cancelled"

    item = _item(clinic_a, item_id)
    assert (item.status, item.last_error) == ("cancelled", GONE)
    assert item.review.is_deleted and item.review.deleted_at is not None
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=approved["id"]).status == "discarded"
        [revision] = ReviewRevision.objects.filter(review_id=review.pk)
        assert (revision.kind, revision.text) == ("delete", review.text)
    assert platforms.requests_for("google", method="PUT") == []
    # nothing is left failed: no retry, no "post it by hand" to a review that is not there
    failed = as_user("alpha_manager", clinic_a).get("outbox/", status="failed").json()
    assert failed["results"] == []


def test_a_not_found_from_a_channel_that_does_not_answer_either_stays_a_failure(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    with schema_context(clinic_a.schema_name):  # a location id that Google does not know
        Source.objects.filter(pk=review.source_id).update(
            settings={**platforms.settings("google"), "location_id": "111"}
        )

    with django_capture_on_commit_callbacks(execute=False):
        assert deliver_in(clinic_a, item_id) == "failed"

    item = _item(clinic_a, item_id)
    assert item.status == "failed" and "not found" in item.last_error
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).is_deleted is False


def test_a_reply_the_business_posted_on_google_itself_is_never_replaced(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    theirs = {"comment": "Dr. Sam here, please call me at the office.", "updateTime": "x"}
    platforms.google_reviews[review.external_id]["reviewReply"] = dict(theirs)

    with django_capture_on_commit_callbacks(execute=False):
        assert deliver_in(clinic_a, item_id) == "failed"

    assert platforms.google_reviews[review.external_id]["reviewReply"] == theirs
    assert platforms.requests_for("google", method="PUT") == []
    item = _item(clinic_a, item_id)
    assert item.failure_kind == "refused"
    assert item.last_error.startswith(
        "Google Business Profile already shows a reply from the business that Carewatch did "
        "not post: “Dr. Sam here, please call me at the office.”. Carewatch did not replace it."
    )
    assert "delete the reply on" in item.last_error


def test_a_reply_held_back_by_a_rate_limit_can_be_marked_posted_and_is_then_never_sent(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    platforms.throttle(1, retry_after=900, platform="google", method="PUT")
    with django_capture_on_commit_callbacks(execute=False):
        assert deliver_in(clinic_a, item_id) == "retry"
    writer = as_user("alpha_writer", clinic_a)
    # the outbox says why it waits and offers to post it by hand meanwhile
    page = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    card = page.split(f'id="item-{item_id}"', 1)[1].split("</article>", 1)[0]
    assert "Quota exceeded" in card and "If it cannot wait, post it by hand" in card
    assert "I posted it by hand" in card

    url = "https://business.google.com/reviews/r/77"
    with django_capture_on_commit_callbacks(execute=False):
        done = writer.post(f"outbox/{item_id}/mark-posted/", {"url": url})
    assert done.status_code == 200, done.json()

    item = _item(clinic_a, item_id)
    assert (item.status, item.external_url, item.next_attempt_at) == ("posted_by_hand", url, None)
    later = timezone.now() + timedelta(hours=1)
    assert deliver_in(clinic_a, item_id, now=later) == "skipped"
    assert [r.status for r in platforms.requests_for("google", method="PUT")] == [429]


def test_an_item_being_sent_right_now_cannot_be_marked_posted(
    platforms, clinic_a, as_user, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=item_id).update(
            status="sending", lease_until=timezone.now() + timedelta(minutes=5)
        )

    answer = as_user("alpha_writer", clinic_a).post(
        f"outbox/{item_id}/mark-posted/", {"url": "https://business.google.com/r/1"}
    )

    assert answer.status_code == 409
    assert "being sent to the platform at this moment" in answer.json()["detail"]
    assert _item(clinic_a, item_id).status == "sending"
