"""Walk 14 (an integrator): a comment pushed before its post was answered "created", and when
the post came in a later batch the comment was never linked to it (`parent_id` stayed null).
A comment keeps its parent's external id and is linked once the parent arrives, whenever."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review
from tests.feeds.test_ingest_api import item, post


def _parent_of(clinic, external_id: str) -> str | None:
    with schema_context(clinic.schema_name):
        review = Review.objects.select_related("parent").get(external_id=external_id)
        return review.parent.external_id if review.parent else None


def test_a_comment_pushed_before_its_post_is_linked_when_the_post_arrives(api, clinic_a):
    client = api("key_a")
    comment = item(
        source="facebook", external_id="c-1", rating=None, text="Is that true?",
        kind="comment", parent_external_id="p-1",
    )  # fmt: skip
    # given two comments of a post that is not stored yet, in two batches
    first = post(client, comment)
    assert first.json()["results"][0]["status"] == "created"
    post(client, {**comment, "external_id": "c-2", "text": "Shocking."})
    assert _parent_of(clinic_a, "c-1") is None

    # when the post arrives in a later batch
    parent = item(source="facebook", external_id="p-1", rating=None, text="They reuse needles!")
    assert post(client, parent).json()["results"][0]["status"] == "created"

    # then both comments are its comments
    assert _parent_of(clinic_a, "c-1") == "p-1"
    assert _parent_of(clinic_a, "c-2") == "p-1"
    # and the comment pushed again as it was is unchanged, its parent kept
    assert post(client, comment).json()["results"][0]["status"] == "unchanged"
    # a re-push that leaves the parent out keeps it too
    again = {k: v for k, v in comment.items() if k != "parent_external_id"}
    assert post(client, again).json()["results"][0]["status"] == "unchanged"
    assert _parent_of(clinic_a, "c-1") == "p-1"


def test_a_comment_still_waiting_for_its_post_keeps_its_parent_on_a_re_push(api, clinic_a):
    client = api("key_a")
    comment = item(
        source="facebook", external_id="c-9", rating=None, text="Really?", kind="comment",
        parent_external_id="p-9",
    )  # fmt: skip
    post(client, comment)
    # a re-push of its likes alone, before the post arrived, is an update of the likes only
    again = {k: v for k, v in comment.items() if k != "parent_external_id"}
    assert post(client, {**again, "likes": 3}).json()["results"][0]["status"] == "updated"
    post(client, item(source="facebook", external_id="p-9", rating=None, text="A post."))
    assert _parent_of(clinic_a, "c-9") == "p-9"
