"""A reply still public on a platform that answers an item deleted at its author's request is
listed in "Still to do" (the log, the receipt, the API and the clinic's portal), whether or not
it names the author: with its platform, its link (or the platform's id) and how to take it
down (by hand: Carewatch does not take posted replies down, and Yelp cannot through its API).
A redaction (the item kept, nameless) lists only the replies that still name them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic
from feeds.models import Review, Source
from feeds.services.privacy import privacy_request_carry_out, privacy_requests_for_clinic
from responses.models import OutboxItem, ReplyDraft, ReplyVersion

PUBLISHED = datetime(2026, 11, 20, 15, tzinfo=UTC)
REASON = "DSR-0051 deletion request received by e-mail"
REPLY = "We're glad your biopsy came back as eczema, not melanoma. Take care."
LINK = "https://www.yelp.com/biz/riverside-dental?hrid=y-reply-77"


def _answered(clinic, *, kind="yelp", name="Yelp", text=REPLY, status="posted_by_hand", **where):
    """Morgan Ito's review on `kind` at `clinic`, answered with `text`, its outbox copy in
    `status` (None: an older reply, published without one)."""
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind=kind, name=name)
        review = Review.objects.create(
            source=source, external_id=f"{kind}-991", author_name="Morgan Ito", rating=2,
            text="They said my mole might be melanoma. It was eczema.", published_at=PUBLISHED,
        )  # fmt: skip
        draft = ReplyDraft.objects.create(
            review=review, status="published", author_label="user:1", version=1
        )
        ReplyVersion.objects.create(
            draft=draft, number=1, guard_verdict="ok", author_label="user:1", text=text
        )
        if status:
            OutboxItem.objects.create(
                kind="reply", idempotency_key=f"reply:{draft.pk}:v1", source=source,
                review=review, draft=draft, version=1, status=status, text=text, **where,
            )  # fmt: skip
    return review, draft


def _carry_out(world, review, action="delete", author="Morgan Ito"):
    return privacy_request_carry_out(
        agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
        author=author, reason=REASON, action=action, selected=[f"clinic-a:{review.pk}"],
    )  # fmt: skip


def test_a_reply_posted_by_hand_on_yelp_that_does_not_name_them_is_listed_to_take_down(
    world, clinic_a, api
):
    # given Morgan's Yelp review, answered without their name, posted by hand with its link
    review, draft = _answered(clinic_a, external_url=LINK)

    # when the agency deletes it at their request
    row = _carry_out(world, review)

    # then "Still to do" says where the reply is and how it comes down
    line = (
        f"Reply #{draft.pk}, posted on Yelp, still answers publicly the review deleted at the "
        f"author's request ({LINK}). Remove it on Yelp by hand (Yelp does not let replies be "
        "removed through its API)."
    )
    assert row.to_check == [f"Clinic A: {line}"]
    assert f"Still to do by us:\n- Clinic A: {line}\n" in row.receipt
    # and the reply itself is kept as it went out (it names nobody)
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(draft=draft).text == REPLY
    # and the API's representation and the clinic's portal list it too
    got = api("key_alpha").get(f"/api/v1/privacy-requests/{row.pk}/")
    assert got.status_code == 200, got.content
    assert got.json()["to_check"] == [f"Clinic A: {line}"]
    [seen] = privacy_requests_for_clinic(Clinic.objects.get(pk=clinic_a.pk))
    assert seen["to_check"] == [line]


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ({"external_id": "accounts/1/locations/2/reviews/g-9"},
         "no link was recorded; its id on Google Business Profile is "
         "accounts/1/locations/2/reviews/g-9"),
        ({}, "no link was recorded; it answers the review with id google-991"),
    ],
    ids=["platform-id", "nothing-recorded"],
)  # fmt: skip
def test_a_reply_sent_to_google_names_its_id_when_no_link_was_kept(world, clinic_a, where, said):
    review, draft = _answered(clinic_a, kind="google", name="Google", status="sent", **where)
    row = _carry_out(world, review)
    assert row.to_check == [
        f"Clinic A: Reply #{draft.pk}, posted on Google Business Profile (Google), still answers "
        f"publicly the review deleted at the author's request ({said}). Remove it on Google "
        "Business Profile by hand (Carewatch does not take down posted replies)."
    ]


def test_a_reply_that_names_them_is_listed_once_with_what_was_replaced(world, clinic_a):
    review, draft = _answered(clinic_a, text="Hi Morgan, " + REPLY, external_url=LINK)
    row = _carry_out(world, review)
    assert row.to_check == [
        f"Clinic A: Reply #{draft.pk}, posted on Yelp, still answers publicly the review "
        f"deleted at the author's request ({LINK}). It named the author in the text that went "
        "out: every stored text of it (version 1, the outbox copy) now reads [name removed] in "
        "Carewatch, but the reply on Yelp still names them. Remove it on Yelp by hand (Yelp "
        "does not let replies be removed through its API)."
    ]
    with schema_context(clinic_a.schema_name):
        assert OutboxItem.objects.get(draft=draft).text == "Hello, " + REPLY


def test_an_older_reply_published_without_an_outbox_copy_is_listed(world, clinic_a):
    review, draft = _answered(clinic_a, status=None)
    row = _carry_out(world, review)
    assert row.to_check == [
        f"Clinic A: Reply #{draft.pk}, posted on Yelp, still answers publicly the review deleted "
        "at the author's request (no link was recorded; it answers the review with id "
        "yelp-991). Remove it on Yelp by hand (Yelp does not let replies be removed through "
        "its API)."
    ]


def test_an_item_redacted_before_and_now_deleted_still_lists_its_reply(world, clinic_a):
    # given the review was redacted by an earlier request (no name left to find)
    review, draft = _answered(clinic_a, external_url=LINK)
    assert _carry_out(world, review, action="redact").to_check == []
    # when it is now deleted
    row = _carry_out(world, review)
    # then its reply, still public, is listed
    assert [line.split(" still answers")[0] for line in row.to_check] == [
        f"Clinic A: Reply #{draft.pk}, posted on Yelp,"
    ]


@pytest.mark.parametrize("status", ["changes_requested", "discarded"])
def test_a_reply_public_while_its_edit_did_not_go_out_is_listed(world, clinic_a, status):
    # given the reply went out, and its edit is no longer on its way
    review, draft = _answered(clinic_a, external_url=LINK)
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=draft.pk).update(status=status)
    row = _carry_out(world, review)
    assert [line.split(" still answers")[0] for line in row.to_check] == [
        f"Clinic A: Reply #{draft.pk}, posted on Yelp,"
    ]


@pytest.mark.parametrize("status", ["manual", "failed", "cancelled"])
def test_a_reply_that_never_went_out_is_not_listed(world, clinic_a, status):
    review, draft = _answered(clinic_a, status=status)
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=draft.pk).update(status="approved")
    assert _carry_out(world, review).to_check == []


def test_a_redaction_lists_only_replies_that_still_name_them(world, clinic_a):
    # given a reply that does not name them: the item stays on the platform, nameless here
    review, _ = _answered(clinic_a, external_url=LINK)
    assert _carry_out(world, review, action="redact").to_check == []


def test_a_name_only_in_a_comment_on_a_posted_reply_is_said_without_a_500(world, clinic_a):
    review, draft = _answered(clinic_a, kind="google", name="Google", status="sent")
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=draft.pk).update(last_comment="Morgan Ito called us.")
    row = _carry_out(world, review, action="redact")
    assert row.to_check == [
        f"Clinic A: Reply #{draft.pk}, posted on Google: The author's name was replaced in the "
        "comments and notes on it in Carewatch; the text posted does not name them. Nothing "
        "to do there."
    ]
