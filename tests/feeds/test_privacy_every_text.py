"""A privacy request takes the author's name (full name, "Reese B.", initials "R.B.", first name)
out of every stored text of the replies to their items: each version, the outbox copy, the
batches that answered them and the notices people received about them; what is still on a
platform and the e-mails that cannot be recalled are listed in "Still to do" and the receipt,
dated as the clinic's pages date them; the clinic's approver and legal are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.models import PrivacyRequest
from clinics.models import Clinic, Notification
from feeds.models import Review, Source
from feeds.services.privacy import privacy_day, privacy_request_carry_out
from responses.models import (
    AuditEntry,
    OutboxItem,
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyVersion,
)

# 19:27 in New York on 5 Dec, already 6 Dec in UTC
PUBLISHED = datetime(2026, 12, 6, 0, 27, tzinfo=UTC)
V1 = "We're sorry your crown cracked, Reese."
V2 = "R.B., we're sorry the restoration didn't hold. Please call us on Tuesday at 3pm as before."
BY_HAND = "Your reply to Reese B.’s Facebook mention of 5 Dec 2026 was marked posted by hand"
REASON = "DSR-0042 erasure request received by e-mail"


def _draft(review, texts: list[str], *, status="published") -> ReplyDraft:
    draft = ReplyDraft.objects.create(
        review=review, status=status, author_label="user:1", version=len(texts),
        published_at=timezone.now() if status == "published" else None,
    )  # fmt: skip
    for number, text in enumerate(texts, start=1):
        ReplyVersion.objects.create(
            draft=draft, number=number, guard_verdict="ok", author_label="user:1", text=text
        )
    return draft


@pytest.fixture
def reese(world, clinic_a):
    """Reese Bramwell's Facebook mention at clinic A (New York time; the row only, never the
    process-wide object), answered in two versions, posted by hand; a batch that answered it
    and another mention; the writer's notice about it, e-mailed; someone else's notice."""
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="facebook", name="Facebook page")
        review = Review.objects.create(
            source=source, external_id="fb-163", kind="mention", author_name="Reese Bramwell",
            text="Riverside Dental cracked my crown and nobody calls back.",
            published_at=PUBLISHED,
        )  # fmt: skip
        other = Review.objects.create(
            source=source, external_id="fb-162", kind="mention", author_name="Jordan Pike",
            text="Nobody answers the phone.", published_at=PUBLISHED,
        )  # fmt: skip
        draft = _draft(review, [V1, V2])
        OutboxItem.objects.create(
            kind="reply", idempotency_key="reply-163-2", source=source, review=review,
            draft=draft, version=2, status="posted_by_hand", text=V2,
        )  # fmt: skip
        batch = ReplyBatch.objects.create(status="published", author_label="user:1", version=1)
        ReplyBatchVersion.objects.create(
            batch=batch, number=1, guard_verdict="ok", author_label="user:1",
            text="We're sorry, Reese Bramwell and everyone who waited.",
            review_ids=[review.pk, other.pk],
        )  # fmt: skip
    writer = world.users["alpha_writer"]
    told = Notification.objects.create(
        user=writer, clinic=clinic_a, kind="reply_by_hand", ref=f"reply:{draft.pk}:by_hand",
        title=BY_HAND, url=f"/clinics/clinic-a/replies/review/{review.pk}/", open=False,
        waits=False, emailed_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    untouched = Notification.objects.create(
        user=writer, clinic=clinic_a, kind="reply_by_hand", ref="reply:999999:by_hand",
        title="Your reply to Jordan P.’s Facebook mention was marked posted by hand",
        url="/clinics/clinic-a/outbox/", open=False, waits=False,
    )  # fmt: skip
    return {"review": review, "draft": draft, "batch": batch, "told": told, "other": untouched}


def _carry_out(world, review, author="Reese Bramwell") -> PrivacyRequest:
    return privacy_request_carry_out(
        agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
        author=author, reason=REASON, action="redact", selected=[f"clinic-a:{review.pk}"],
    )  # fmt: skip


def test_every_stored_text_of_every_reply_loses_the_name_and_initials(reese, world, clinic_a):
    # when the request is carried out
    row = _carry_out(world, reese["review"])
    # then every version, the outbox copy and the batch read without the name or initials
    with schema_context(clinic_a.schema_name):
        texts = dict(
            ReplyVersion.objects.filter(draft=reese["draft"]).values_list("number", "text")
        )
        assert texts == {
            1: "We're sorry your crown cracked, [name removed].",
            2: "[name removed], we're sorry the restoration didn't hold. Please call us on "
            "Tuesday at 3pm as before.",
        }
        assert OutboxItem.objects.get(draft=reese["draft"]).text == texts[2]
        assert ReplyBatchVersion.objects.get(batch=reese["batch"]).text == (
            "We're sorry, [name removed] and everyone who waited."
        )
        trail = AuditEntry.objects.get(object_type="reply", action="redacted")
        assert trail.detail == {"versions": [1, 2]}
        assert AuditEntry.objects.get(object_type="reply_batch", action="redacted").detail == {
            "versions": [1]
        }
    # and the writer's notice about it no longer names the author; someone else's stays
    reese["told"].refresh_from_db()
    reese["other"].refresh_from_db()
    assert reese["told"].title == (
        "Your reply to [name removed]’s Facebook mention of 5 Dec 2026 was marked posted by hand"
    )
    assert reese["other"].title.startswith("Your reply to Jordan P.’s")
    # and "Still to do" says what was replaced and what the platform still shows
    pk = reese["draft"].pk
    assert row.to_check == [
        f"Clinic A: The reply posted on Facebook page (reply #{pk}) named the author in the text "
        "that went out: every stored text of it (versions 1 and 2, the outbox copy) now reads "
        "[name removed] in Carewatch, but the reply on Facebook page still names them: edit or "
        "remove it there.",
        "Clinic A: 1 e-mail(s) about these items named the author in their subject and went out "
        "before the request: e-mails already sent cannot be recalled (their notification "
        "history now reads [name removed]).",
    ]
    # and the receipt dates as the clinic's pages do (New York), and lists the same
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    assert row.receipt.startswith(
        f"On {privacy_day(row.created_at, clinic)} we removed 1 item by “Reese Bramwell” from "
        "Clinic A:\n- Clinic A: Facebook mention of 5 Dec 2026 (id fb-163)\n"
    )
    assert "2026-12-06" not in row.receipt
    assert "E-mails sent before the request cannot be recalled." in row.receipt
    assert f"Still to do by us:\n- {row.to_check[0]}\n- {row.to_check[1]}\n" in row.receipt
    for text in (row.receipt, str(row.to_check)):
        assert "R.B." not in text and "Reese B." not in text


def test_a_name_only_in_a_version_never_posted_leaves_nothing_to_do_on_the_platform(
    reese, world, clinic_a
):
    # given the posted version 2 never named them, only version 1 did
    with schema_context(clinic_a.schema_name):
        ReplyVersion.objects.filter(draft=reese["draft"], number=2).update(text="We are sorry.")
        OutboxItem.objects.filter(draft=reese["draft"]).update(text="We are sorry.")
    Notification.objects.filter(pk=reese["told"].pk).delete()
    row = _carry_out(world, reese["review"])
    assert row.to_check == [
        f"Clinic A: Reply #{reese['draft'].pk}, posted on Facebook page, named the author only "
        "in version 1, which was never posted: it now reads [name removed] in Carewatch; the "
        "text posted on Facebook page does not name them: nothing to do there."
    ]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Hi R.B., we are sorry.", "Hello, we are sorry."),
        ("R. B., please call us.", "[name removed], please call us."),
        ("Dear Reese B., please call us.", "Hello, please call us."),
        ("Thank you REESE BRAMWELL.", "Thank you [name removed]."),
        ("RB called; Bramwell Street is closed.", "RB called; Bramwell Street is closed."),
    ],
    ids=["greeting-initials", "spaced-initials", "first-name-initial", "full-name", "untouched"],
)
def test_the_one_rule_finds_each_form_of_the_name(reese, world, clinic_a, text, redacted):
    with schema_context(clinic_a.schema_name):
        ReplyVersion.objects.filter(draft=reese["draft"], number=1).update(text=text)
    _carry_out(world, reese["review"])
    with schema_context(clinic_a.schema_name):
        assert ReplyVersion.objects.get(draft=reese["draft"], number=1).text == redacted


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Thank you, R.B., for your note.", "Thank you, [name removed], for your note."),
        ("Thanks R.A.B.!", "Thanks [name removed]!"),
        ("R. A. B., please call us.", "[name removed], please call us."),
        ("thanks r.b. for the note", "thanks [name removed] for the note"),
        ("Hi RAB, we are sorry.", "Hello, we are sorry."),
        ("Hi RB, we are sorry.", "Hello, we are sorry."),
        ("RB called at 9 a.m.; RAB too.", "RB called at 9 a.m.; RAB too."),
    ],
    ids=["first-last", "every-word", "spaced", "lower-case", "greeting-bare", "greeting-first-last",
         "untouched"],
)  # fmt: skip
def test_a_name_of_three_words_loses_each_form_of_its_initials_the_guard_knows(
    reese, world, clinic_a, text, redacted
):
    # given the author's name has three words, and a reply used their initials
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=reese["review"].pk).update(author_name="Reese Ann Bramwell")
        ReplyVersion.objects.filter(draft=reese["draft"], number=1).update(text=text)
    # when their privacy request is carried out
    _carry_out(world, reese["review"], author="Reese Ann Bramwell")
    # then the initials the guard calls theirs are gone too ("R.B."), not only "R.A.B."
    with schema_context(clinic_a.schema_name):
        assert ReplyVersion.objects.get(draft=reese["draft"], number=1).text == redacted


def test_the_clinics_approver_and_legal_are_told_without_the_name(
    reese, world, clinic_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = _carry_out(world, reese["review"])
    told = Notification.objects.filter(ref=f"privacy_request:{row.pk}", clinic=clinic_a)
    assert sorted(told.values_list("user__email", flat=True)) == sorted(
        [world.users["a_approver"].email, world.users["a_legal"].email]
    )
    title = "A privacy request was carried out: 1 item redacted at the author's request"
    assert set(told.values_list("title", "url", "waits")) == {
        (title, f"/clinics/clinic-a/portal/privacy/#request-{row.pk}", False)
    }
    sent = [m for m in mail.outbox if title in m.subject]
    assert sorted(to for m in sent for to in m.to) == sorted(
        [world.users["a_approver"].email, world.users["a_legal"].email]
    )
    assert all("Reese" not in m.subject + m.body for m in sent)
