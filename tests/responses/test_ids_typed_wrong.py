"""A number that a reply, statement, batch, outbox or follow-up page posts (an id, a version)
and that is not one is a 400 naming the field (`core.http.int_param`), and nothing is done:
never read as "none given", which acted on something else (a `revoke=x` recorded a consent
instead of withdrawing one) or skipped the check of the version the person saw."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from responses.models import (
    AuditEntry,
    ContactConsent,
    FollowUpMessage,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    ReplyVersion,
    StatementVersion,
)
from tests.responses.conftest import review_in
from tests.responses.test_batches import _claim

pytestmark = pytest.mark.django_db

CONSENT = {"channel": "email", "address": "sam@example.org", "basis": "Asked us at the desk"}


def _stored(clinic) -> dict[str, int]:
    with schema_context(clinic.schema_name):
        models = (AuditEntry, ContactConsent, FollowUpMessage, PrivateConversation, ReplyBatch,
                  ReplyDraft, ReplyVersion, StatementVersion)  # fmt: skip
        return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def pages(clinic_a, login, as_user):
    """The pages' addresses, with a review, its follow-up, a statement and a batch behind them."""
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    base = f"/clinics/{clinic_a.slug}"
    editor = f"{base}/replies/review/{review.pk}/"
    followup = writer.post(f"{editor}private/", {"channel": "phone", "owner_id": ""})["Location"]
    api = as_user("alpha_writer", clinic_a)
    statement = api.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    cluster_id, review_ids = _claim(clinic_a, 2)
    batch = api.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    return {
        "act": f"{base}/replies/act/",
        "editor": editor,
        "consent": f"{editor}consent/",
        "followup": followup,
        "statement": f"{base}/statements/{statement}/",
        "outbox": f"{base}/outbox/",
        "batch_new": f"{base}/replies/batches/new/",
        "batch": f"{base}/replies/batches/{batch}/",
        "cluster_id": str(cluster_id),
        "batch_review": str(review_ids[0]),
        "writer": writer,
    }


CASES = {
    "approval-id": ("act", {"kind": "reply", "id": "x", "action": "approve"}, "id"),
    "approval-version": (
        "act",
        {"kind": "reply", "id": "1", "action": "approve", "expected_version": "-1"},
        "expected_version",
    ),
    "editor-draft": ("editor", {"action": "save", "text": "Thank you.", "draft_id": "x"}, "draft_id"),
    "editor-version": (
        "editor",
        {"action": "save", "text": "Thank you.", "expected_version": "1.5"},
        "expected_version",
    ),
    "statement-version": (
        "statement",
        {"action": "save", "title": "Hours", "body": "Open 9 to 5.", "expected_version": "x"},
        "expected_version",
    ),
    "outbox-item": ("outbox", {"item": "x", "action": "retry"}, "item"),
    "batch-claim": ("batch_new", {"cluster_id": "abc"}, "cluster_id"),
    "batch-statement": ("batch_new", {"cluster_id": "{cluster_id}", "statement_id": "x"}, "statement_id"),
    "batch-version": ("batch", {"action": "save", "text": "Thanks.", "expected_version": "x"}, "expected_version"),
    "batch-remove": ("batch", {"action": "remove", "review_id": "x"}, "review_id"),
    "batch-posted": ("batch", {"action": "mark_posted", "posted": ["{batch_review}", "x"]}, "posted"),
    "consent-revoke": ("consent", {**CONSENT, "revoke": "x"}, "revoke"),
    "followup-retry": ("followup", {"action": "retry", "message_id": "x"}, "message_id"),
}  # fmt: skip


def _filled(value, pages):
    if isinstance(value, list):
        return [_filled(v, pages) for v in value]
    return value.format(**pages) if "{" in value else value


@pytest.mark.parametrize(("page", "data", "field"), CASES.values(), ids=CASES.keys())
def test_a_number_typed_wrong_is_a_400_naming_the_field_and_nothing_is_done(
    clinic_a, pages, page, data, field
):
    # given
    before = _stored(clinic_a)

    # when
    answer = pages["writer"].post(pages[page], {k: _filled(v, pages) for k, v in data.items()})

    # then
    assert answer.status_code == 400
    assert f"Invalid input. “{field}”: A number." in answer.content.decode()
    assert _stored(clinic_a) == before


def test_a_consent_withdrawn_by_its_id_is_withdrawn_and_one_typed_wrong_records_nothing(
    clinic_a, pages
):
    writer = pages["writer"]
    assert writer.post(pages["consent"], CONSENT).status_code == 302
    with schema_context(clinic_a.schema_name):
        consent = ContactConsent.objects.get()

    refused = writer.post(pages["consent"], {**CONSENT, "revoke": f"{consent.pk}x"})
    withdrawn = writer.post(pages["consent"], {"revoke": str(consent.pk)})

    assert (refused.status_code, withdrawn.status_code) == (400, 302)
    with schema_context(clinic_a.schema_name):
        assert ContactConsent.objects.count() == 1
        consent.refresh_from_db()
        assert consent.revoked_at is not None


def test_the_editor_saves_a_draft_named_by_its_id_at_the_version_the_writer_saw(clinic_a, pages):
    writer = pages["writer"]
    writer.post(pages["editor"], {"action": "save", "text": "Thank you for telling us."})
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(batch=None)

    saved = writer.post(
        pages["editor"],
        {"action": "save", "text": "Thank you for writing.", "draft_id": str(draft.pk),
         "expected_version": str(draft.version)},
    )  # fmt: skip

    assert saved.status_code == 302
    with schema_context(clinic_a.schema_name):
        texts = list(ReplyVersion.objects.filter(draft=draft).values_list("text", flat=True))
        assert texts == ["Thank you for writing.", "Thank you for telling us."]


def test_a_mention_taken_out_of_a_batch_by_its_id_is_taken_out(clinic_a, pages):
    answer = pages["writer"].post(
        pages["batch"], {"action": "remove", "review_id": pages["batch_review"]}
    )

    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        taken_out = ReplyDraft.objects.get(batch__isnull=False, review_id=pages["batch_review"])
        assert taken_out.status == "discarded"
