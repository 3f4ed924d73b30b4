"""Privacy requests in one clinic (`feeds.services.privacy.reviews_redact`): a redacted review
loses its author, text, link and history, scoring and responses clear what they keep of it
(`core.privacy`), a re-poll or re-push of the same external id restores nothing, and the
request carried out across clinics leaves one log row with its receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, transaction
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.models import PrivacyRequest
from core.errors import PermissionDenied, ValidationFailed
from core.privacy import REDACTED_TEXT
from feeds.models import Review, ReviewRevision, Source
from feeds.services import ItemIn, items_ingest, reviews_upsert
from feeds.services.privacy import privacy_request_carry_out, reviews_redact
from inbox.selectors import reviews_matching
from responses.models import (
    AuditEntry,
    ContactConsent,
    FollowUpMessage,
    OutboxItem,
    PrivateConversation,
    ReplyDraft,
    ReplyVersion,
)
from scoring.models import ClaimCluster, ClaimMention, ReviewScore
from tests.fixtures.rows import score_add, world_privacy_requests

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
TEXT = "Dr. Lee reuses needles, I saw it myself. Waited 2 hours."


def _item(external_id: str, **over) -> ItemIn:
    return ItemIn(
        **{"external_id": external_id, "text": TEXT, "published_at": T0, "author_name": "Reese B.",
           "rating": 1, "url": f"https://maps.example/{external_id}", **over}
    )  # fmt: skip


@pytest.fixture
def reese(clinic_a):
    """Reese B.'s review at clinic A with an edit, a score, a claim, a follow-up, a consent
    and a reply that greets them; and someone else's review in the same claim."""
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        reviews_upsert(source=source, items=[_item("g-1", text="First version, Reese here.")])
        reviews_upsert(source=source, items=[_item("g-1"), _item("g-2", author_name="Pat")])
        review = Review.objects.get(external_id="g-1")
        other = Review.objects.get(external_id="g-2")
        assert review.revisions.count() == 1
        score_add(
            review=review, model_version="t", label="negative", score=-0.9,
            topics=[{"name": "wait_time", "triggers": ["waited 2 hours"], "sentiment": "negative"}],
            flags=[{"name": "misinformation", "evidence": ["reuses needles"],
                    "claim": "Dr. Lee reuses needles", "probability": 0.9,
                    "contradicts": {"kind": "fact", "slug": "sterile"}}],
        )  # fmt: skip
        cluster = ClaimCluster.objects.create(
            title="Dr. Lee reuses needles", key_phrases=["reuses needles"], last_joined_at=T0
        )
        ClaimMention.objects.create(
            review=review, cluster=cluster, claim="Dr. Lee reuses needles", similarity=1.0
        )
        ClaimMention.objects.create(
            review=other, cluster=cluster, claim="they reuse needles here", similarity=0.8
        )
        conversation = PrivateConversation.objects.create(
            review=review, channel="email", status="invited", notes="Reese, 555-0100, mum of Ava",
            opened_by_label="user:1", recipient_id="psid-77",
        )  # fmt: skip
        FollowUpMessage.objects.create(
            conversation=conversation, direction="in", channel="email", status="received",
            text="It's Reese, call me on 555-0100", external_id="m-1",
        )  # fmt: skip
        ContactConsent.objects.create(
            review=review, channel="email", address="reese@example.com",
            basis="Reese said so on the phone", recorded_by_label="user:1",
        )  # fmt: skip
        draft = ReplyDraft.objects.create(
            review=review, status="pending_agency", author_label="user:1", version=1
        )
        ReplyVersion.objects.create(
            draft=draft, number=1, guard_verdict="ok", author_label="user:1",
            text="Hi Reese, we are sorry. Reese B., please call us.",
            guard_findings=[{"rule": "reviewer_name", "match": "Reese B."}],
        )  # fmt: skip
        OutboxItem.objects.create(
            kind="reply", idempotency_key="reply-x", source=source, review=review, draft=draft,
            text="Hi Reese, we are sorry.",
        )  # fmt: skip
    return {"review": review, "other": other, "cluster": cluster, "draft": draft}


def test_redacting_removes_the_author_and_what_every_app_kept(reese, clinic_a):
    with schema_context(clinic_a.schema_name):
        items, done = reviews_redact(review_ids=[reese["review"].pk])
        review = Review.objects.get(pk=reese["review"].pk)
        # the review: nothing that names the author; what happened stays
        assert (review.author_name, review.text, review.url) == ("", REDACTED_TEXT, "")
        assert (review.external_id, review.rating, review.is_deleted) == ("g-1", 1, False)
        assert review.redacted_at is not None
        assert not ReviewRevision.objects.filter(review=review).exists()
        assert reviews_matching().filter(pk=review.pk).exists()  # still counted and listed
        # scoring: labels and names stay, the words go
        score = ReviewScore.objects.get(review=review)
        assert score.label == "negative"
        assert score.topics == [{"name": "wait_time", "triggers": [], "sentiment": "negative"}]
        assert score.flags == [
            {"name": "misinformation", "evidence": [], "claim": "", "probability": 0.9,
             "contradicts": {"kind": "fact", "slug": "sterile"}}
        ]  # fmt: skip
        assert ClaimMention.objects.get(review=review).claim == ""
        cluster = ClaimCluster.objects.get(pk=reese["cluster"].pk)
        assert cluster.title == "they reuse needles here"  # renamed after the other mention
        assert "reuses needles" not in cluster.key_phrases
        # responses: follow-up, consent, reply
        conversation = PrivateConversation.objects.get(review=review)
        assert (conversation.notes, conversation.recipient_id, conversation.status) == (
            REDACTED_TEXT, "", "resolved",
        )  # fmt: skip
        assert list(FollowUpMessage.objects.values_list("text", "external_id")) == [
            (REDACTED_TEXT, "m-1")
        ]
        consent = ContactConsent.objects.get(review=review)
        assert (consent.address, consent.basis) == ("", REDACTED_TEXT)
        assert consent.revoked_at is not None
        version = ReplyVersion.objects.get(draft=reese["draft"])
        assert version.text == "Hello, we are sorry. [name removed], please call us."
        assert "Reese" not in str(version.guard_findings)
        assert OutboxItem.objects.get(draft=reese["draft"]).text == "Hello, we are sorry."
        actions = set(AuditEntry.objects.filter(action="redacted").values_list("object_type"))
        assert actions == {("private_conversation",), ("reply",)}
        # the other author's review is untouched
        other = Review.objects.get(pk=reese["other"].pk)
        assert (other.author_name, other.text, other.redacted_at) == ("Pat", TEXT, None)
        assert ClaimMention.objects.get(review=other).claim == "they reuse needles here"
    assert [i["external_id"] for i in items] == ["g-1"]
    assert any("reply #" in line.lower() for line in done.to_check)


@pytest.mark.parametrize(
    ("state", "what_to_do"),
    [
        ("draft", "(draft) named the author in version 1: the name was replaced by "
         "[name removed]; read it before it is submitted for approval."),
        ("pending_agency", "(waiting for the agency) named the author in version 1: the name "
         "was replaced by [name removed]; read it before it is approved."),
        ("changes_requested", "(changes requested) named the author in version 1: the name was "
         "replaced by [name removed]; read it before it is approved."),
        ("approved", "(approved) named the author in version 1: the name was replaced by "
         "[name removed]; it is approved but not posted yet: read it again before it is posted."),
        ("discarded", "(discarded) named the author in version 1: the name was replaced by "
         "[name removed]; it was discarded and will not be posted: nothing else to do."),
    ],
)  # fmt: skip
def test_what_to_check_about_a_reply_follows_where_the_reply_is(reese, clinic_a, state, what_to_do):
    draft = reese["draft"]
    with schema_context(clinic_a.schema_name):
        ReplyDraft.objects.filter(pk=draft.pk).update(status=state)
        _, done = reviews_redact(review_ids=[reese["review"].pk])
    assert done.to_check == [f"Reply #{draft.pk} {what_to_do}"]


@pytest.mark.parametrize("how", ["poll", "push"])
def test_a_re_poll_or_re_push_does_not_bring_anything_back(
    reese, clinic_a, how, django_capture_on_commit_callbacks
):
    # given a redacted review
    with schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[reese["review"].pk])
        source = Source.objects.get(kind="google")
        # when the platform still shows it, edited, and it comes in again
        with django_capture_on_commit_callbacks(execute=False) as queued:
            if how == "poll":
                [outcome] = reviews_upsert(
                    source=source, items=[_item("g-1", text=TEXT + " Edited.", likes=9)]
                )
                status = outcome.status
            else:
                report = items_ingest(
                    raw_items=[{"source": "google", "external_id": "g-1", "text": "Back again",
                                "author": "Reese B.", "rating": 2,
                                "published_at": "2026-11-02T09:00:00Z"}],
                )  # fmt: skip
                status = report.results[0]["status"]
        # then it answers "unchanged" and stays as redacted, and nothing is queued for scoring
        assert status == "unchanged"
        review = Review.objects.get(pk=reese["review"].pk)
        assert (review.author_name, review.text, review.url, review.rating) == (
            "", REDACTED_TEXT, "", 1,
        )  # fmt: skip
        assert not ReviewRevision.objects.filter(review=review).exists()
        assert ReviewScore.objects.get(review=review).flags[0]["evidence"] == []
    assert queued == []


def test_delete_also_takes_it_out_of_lists_and_figures(reese, clinic_a):
    with schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[reese["review"].pk], delete=True)
        review = Review.objects.get(pk=reese["review"].pk)
        assert review.is_deleted and review.deleted_at is not None
        assert review.text == REDACTED_TEXT
        assert not reviews_matching().filter(pk=review.pk).exists()


def test_a_request_across_two_clinics_is_logged_with_its_receipt(
    reese, world, clinic_b, monkeypatch
):
    # given Reese B. also reviewed clinic B
    with schema_context(clinic_b.schema_name):
        source = Source.objects.create(kind="yelp", name="Yelp")
        [b] = reviews_upsert(source=source, items=[_item("y-9", published_at=T0 - timedelta(1))])
    # when a manager carries out the request (on a known day: the receipt is dated by it, and
    # reading the day again afterwards fails when midnight falls in between)
    with monkeypatch.context() as m:
        m.setattr("django.utils.timezone.now", lambda: datetime(2026, 12, 5, 14, tzinfo=UTC))
        done = privacy_request_carry_out(
            agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_manager"]),
            author="Reese B.", reason="Erasure request REQ-114 received by e-mail",
            action="redact", selected=[f"clinic-a:{reese['review'].pk}", f"clinic-b:{b.pk}"],
        )  # fmt: skip
    # then both are redacted and one append-only row says who, when, where, which and why
    with schema_context(clinic_b.schema_name):
        assert Review.objects.get(pk=b.pk).text == REDACTED_TEXT
    row = PrivacyRequest.objects.get(pk=done.pk)
    assert (row.agency_id, row.action, row.author, row.actor_email) == (
        world.agencies["alpha"].pk, "redact", "Reese B.", "manager@alpha.test",
    )  # fmt: skip
    assert [(i["clinic_slug"], i["external_id"]) for i in row.items] == [
        ("clinic-a", "g-1"), ("clinic-b", "y-9"),
    ]  # fmt: skip
    assert row.receipt.startswith(  # clinic A's pages read UTC
        "On 5 Dec 2026 we removed 2 items by “Reese B.” from Clinic A and Clinic "
        "B:\n- Clinic A: Google Business Profile review of 2 Nov 2026 (id g-1)\n"
        "- Clinic B: Yelp review of 1 Nov 2026 (id y-9)\n"
    )
    assert row.receipt.endswith("Reference: Erasure request REQ-114 received by e-mail")
    assert "Clinic A: Reply #" in row.receipt  # what a person should still read
    assert TEXT not in str(row.items) and TEXT not in row.receipt
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PrivacyRequest.objects.filter(pk=row.pk).update(reason="changed")


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"reason": ""}, {"reason"}),
        ({"reason": "gdpr"}, {"reason"}),
        ({"author": " "}, {"author"}),
        ({"action": "shred"}, {"action"}),
        ({"selected": []}, {"items"}),
        ({"selected": ["clinic-c:1"]}, {"items"}),  # another agency's clinic reads as unknown
        ({"selected": ["no-such-clinic:1"]}, {"items"}),
        ({"selected": ["clinic-a:999999"]}, {"items"}),
        ({"selected": ["clinic-a"]}, {"items"}),
    ],
)
def test_bad_input_changes_nothing(reese, world, clinic_a, change, fields):
    request = {
        "author": "Reese B.", "reason": "Erasure request REQ-114 received by e-mail",
        "action": "redact", "selected": [f"clinic-a:{reese['review'].pk}"], **change,
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        privacy_request_carry_out(
            agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
            **request,
        )  # fmt: skip
    assert set(refused.value.fields) == fields
    assert not world_privacy_requests().exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["review"].pk).author_name == "Reese B."


@pytest.mark.parametrize("role", ["writer", "analyst"])
def test_writers_and_analysts_cannot_carry_out_a_request(reese, world, clinic_a, role):
    with pytest.raises(PermissionDenied):
        privacy_request_carry_out(
            agency=world.agencies["alpha"], actor=Actor(user=world.users[f"alpha_{role}"]),
            author="Reese B.", reason="Erasure request REQ-114 received by e-mail",
            action="delete", selected=[f"clinic-a:{reese['review'].pk}"],
        )  # fmt: skip
    assert not world_privacy_requests().exists()
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=reese["review"].pk).redacted_at is None
