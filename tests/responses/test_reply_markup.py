"""Replies, batches, templates and statements are posted as plain text: HTML tags and
comments are refused at the field, naming what was found, and nothing is stored; text that
merely holds "<" or ">" ("<3", "a < b", "> 10 years", "->") is plain text and passes. A page
that refuses keeps what was typed."""

from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import schema_context

from responses.models import (
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyTemplate,
    ReplyVersion,
    Statement,
    StatementVersion,
)
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db

REPLY = "Replies are posted as plain text: remove the markup"
STATEMENT = "Statements are published as plain text: remove the markup"
MARKUP = [
    pytest.param("Thanks <b>so much</b> for this.", "<b> and </b>.", id="bold"),
    pytest.param('Thanks, <a href="https://x.test/">see here</a>.', '<a href="https://x.test/"> and </a>.', id="link"),
    pytest.param("Thanks.<br>Call us.", "<br>.", id="line-break"),
    pytest.param("Thanks. <!-- internal note --> Call us.", "<!-- internal note -->.", id="comment"),
]  # fmt: skip
PLAIN = [
    pytest.param("Thank you, we <3 our patients.", id="heart"),
    pytest.param("Waits are short: a < b, and > 10 years of care.", id="less-greater"),
    pytest.param("Reception -> first door on the left.", id="arrow"),
]


def _stored(clinic) -> list[int]:
    with schema_context(clinic.schema_name):
        return [
            m.objects.count()
            for m in (ReplyDraft, ReplyVersion, ReplyBatch, ReplyTemplate, Statement, StatementVersion)
        ]  # fmt: skip


@pytest.mark.parametrize(("text", "named"), MARKUP)
def test_a_reply_with_markup_is_refused_through_the_api_and_nothing_is_stored(
    clinic_a, as_user, text, named
):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    before = _stored(clinic_a)

    refused = writer.post("drafts/", {"review_id": review.pk, "text": text})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{REPLY} {named}"]}
    assert _stored(clinic_a) == before
    # an edit cannot add it either
    draft = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you."}).json()
    edited = writer.patch(f"drafts/{draft['id']}/", {"text": text})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"text": [f"{REPLY} {named}"]}
    with schema_context(clinic_a.schema_name):
        assert list(ReplyVersion.objects.filter(draft_id=draft["id"]).values_list("text", flat=True)) == [
            "Thank you."
        ]  # fmt: skip


@pytest.mark.parametrize("text", PLAIN)
def test_a_reply_that_merely_holds_angle_brackets_is_plain_text(clinic_a, as_user, text):
    created = as_user("alpha_writer", clinic_a).post(
        "drafts/", {"review_id": review_in(clinic_a).pk, "text": text}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["text"] == text


def test_a_stored_reply_with_markup_is_not_submitted(clinic_a, as_user):
    # given a draft whose version holds markup (saved before markup was refused)
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": "Thank you."})
    pk = draft.json()["id"]
    with schema_context(clinic_a.schema_name):
        ReplyVersion.objects.filter(draft_id=pk).update(text="Thank <b>you</b>.")
    # when its writer submits it, then it is refused and stays a draft
    refused = writer.post(f"drafts/{pk}/submit/", {})
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{REPLY} <b> and </b>."]}
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).status == "draft"


@pytest.mark.parametrize("action", ["save", "submit"])
def test_the_editor_refuses_markup_and_keeps_the_typed_text(clinic_a, login, action):
    review = review_in(clinic_a)
    before = _stored(clinic_a)
    typed = "Thanks <b>so much</b> for this."

    page = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/", {"action": action, "text": typed}
    )

    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert f"{REPLY} <b> and </b>." in html
    assert f">{typed}</textarea>" in html  # the editor keeps the work
    assert _stored(clinic_a) == before


# --- one answer for many -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "named"), MARKUP)
def test_a_batch_with_markup_is_refused_and_nothing_is_stored(clinic_a, as_user, text, named):
    writer = as_user("alpha_writer", clinic_a)
    ids = [review_in(clinic_a).pk for _ in range(2)]
    before = _stored(clinic_a)

    refused = writer.post("reply-batches/", {"review_ids": ids, "text": text})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{REPLY} {named}"]}
    assert _stored(clinic_a) == before
    # a new text for the batch cannot add it either
    batch = writer.post("reply-batches/", {"review_ids": ids, "text": "Thank you."}).json()
    edited = writer.patch(f"reply-batches/{batch['id']}/", {"text": text})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"text": [f"{REPLY} {named}"]}
    with schema_context(clinic_a.schema_name):
        assert ReplyBatchVersion.objects.filter(batch_id=batch["id"]).count() == 1


@pytest.mark.parametrize("text", PLAIN)
def test_a_batch_that_merely_holds_angle_brackets_is_plain_text(clinic_a, as_user, text):
    ids = [review_in(clinic_a).pk for _ in range(2)]
    created = as_user("alpha_writer", clinic_a).post(
        "reply-batches/", {"review_ids": ids, "text": text}
    )
    assert created.status_code == 201, created.json()


@pytest.mark.parametrize("action", ["save", "submit"])
def test_the_batch_page_refuses_markup_and_keeps_the_typed_text(clinic_a, as_user, login, action):
    ids = [review_in(clinic_a).pk for _ in range(2)]
    batch = (
        as_user("alpha_writer", clinic_a)
        .post("reply-batches/", {"review_ids": ids, "text": "Thank you."})
        .json()
    )
    typed = "Thank you.<br>Call us."

    page = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/batches/{batch['id']}/",
        {"action": action, "text": typed, "expected_version": 1},
    )

    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert f"{REPLY} <br>." in html
    assert f">{typed}</textarea>" in html
    with schema_context(clinic_a.schema_name):
        saved = ReplyBatch.objects.get(pk=batch["id"])
        assert (saved.version, saved.status) == (1, "draft")


def test_a_stored_batch_with_markup_is_not_submitted(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    ids = [review_in(clinic_a).pk for _ in range(2)]
    pk = writer.post("reply-batches/", {"review_ids": ids, "text": "Thank you."}).json()["id"]
    with schema_context(clinic_a.schema_name):
        ReplyBatchVersion.objects.filter(batch_id=pk).update(text="Thank <i>you</i>.")

    refused = writer.post(f"reply-batches/{pk}/submit/", {})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{REPLY} <i> and </i>."]}
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=pk).status == "draft"


# --- templates -----------------------------------------------------------------------------


def test_a_template_with_markup_is_refused_through_the_api_and_the_page(clinic_a, as_user, login):
    manager = as_user("alpha_manager", clinic_a)
    before = _stored(clinic_a)
    body = {"key": "bold-thanks", "name": "Bold thanks", "category": "thank"}

    refused = manager.post("reply-templates/", {**body, "body": "Thanks <b>{clinic_name}</b>."})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"body": [f"{REPLY} <b> and </b>."]}
    page = login("alpha_manager").post(
        f"/clinics/{clinic_a.slug}/settings/templates/", {**body, "body": "Thanks<br>again."}
    )
    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert f"{REPLY} <br>." in html
    assert "Thanks<br>again.</textarea>" in html  # the form keeps the work
    assert _stored(clinic_a) == before
    fine = manager.post("reply-templates/", {**body, "body": "Thanks {clinic_name} <3"})
    assert fine.status_code == 201, fine.json()
    edited = manager.patch(f"reply-templates/{fine.json()['id']}/", {"body": "<p>Thanks</p>"})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"body": [f"{REPLY} <p> and </p>."]}


# --- statements ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "named"), MARKUP)
def test_a_statement_with_markup_is_refused_and_nothing_is_stored(clinic_a, as_user, text, named):
    writer = as_user("alpha_writer", clinic_a)
    before = _stored(clinic_a)

    refused = writer.post("statements/", {"title": f"Hours {text}", "body": text})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "title": [f"{STATEMENT} {named}"],
        "body": [f"{STATEMENT} {named}"],
    }
    assert _stored(clinic_a) == before
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    edited = writer.patch(f"statements/{sid}/", {"title": "Hours", "body": text})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"body": [f"{STATEMENT} {named}"]}
    with schema_context(clinic_a.schema_name):
        assert StatementVersion.objects.filter(statement_id=sid).count() == 1


@pytest.mark.parametrize("text", PLAIN)
def test_a_statement_that_merely_holds_angle_brackets_is_plain_text(clinic_a, as_user, text):
    created = as_user("alpha_writer", clinic_a).post(
        "statements/", {"title": "Waits < 10 min", "body": text}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["versions"][0]["body"] == text


def test_a_stored_statement_with_markup_is_not_submitted(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    with schema_context(clinic_a.schema_name):
        StatementVersion.objects.filter(statement_id=sid).update(body="Open <b>8 to 6</b>.")

    refused = writer.post(f"statements/{sid}/submit/", {})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"body": [f"{STATEMENT} <b> and </b>."]}
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.get(pk=sid).status == "draft"


def test_the_statement_pages_refuse_markup_and_keep_the_typed_text(clinic_a, as_user, login):
    writer = login("alpha_writer")
    before = _stored(clinic_a)
    # the new statement's form
    page = writer.post(
        f"/clinics/{clinic_a.slug}/statements/",
        {"title": "Our hours", "body": "We are <em>open</em> today."},
    )
    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert f"{STATEMENT} <em> and </em>." in html
    assert 'value="Our hours"' in html
    assert ">We are <em>open</em> today.</textarea>" in html
    assert _stored(clinic_a) == before
    # the statement's editor
    sid = (
        as_user("alpha_writer", clinic_a)
        .post("statements/", {"title": "Hours", "body": "Open 8 to 6."})
        .json()["id"]
    )
    editor = writer.post(
        f"/clinics/{clinic_a.slug}/statements/{sid}/",
        {"action": "save", "title": "Hours", "body": "Open<br>8 to 6.", "expected_version": 1},
    )
    assert editor.status_code == 400
    html = unescape(editor.content.decode())
    assert f"{STATEMENT} <br>." in html
    assert ">Open<br>8 to 6.</textarea>" in html
    with schema_context(clinic_a.schema_name):
        assert StatementVersion.objects.filter(statement_id=sid).count() == 1
