"""Hostile-input finding: the reply editor page saved a `template_key` of 81 characters or
more straight into its column (a 500: value too long for varchar(80)), and both the page and
`POST drafts/` stored a key no template has. The service checks the key once for both
(`responses.services.replies.template_key_checked`): none, the draft's own, or a template of
the clinic's library; anything else is a 400 naming `template_key`, and nothing is saved."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyDraft, ReplyTemplate, ReplyVersion
from tests.responses.conftest import OK_TEXT, review_in

LONG = "k" * 81


def _drafts(clinic, review) -> int:
    with schema_context(clinic.schema_name):
        return ReplyDraft.objects.filter(review=review).count()


@pytest.mark.parametrize(
    ("key", "message"),
    [(LONG, "Ensure this field has no more than 80 characters."),
     ("nonexistent", "No such template.")],
    ids=["too-long", "unknown"],
)  # fmt: skip
def test_the_editor_page_refuses_a_template_key_no_template_has(clinic_a, login, key, message):
    review = review_in(clinic_a)
    page = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/",
        {"action": "save", "template_key": key, "text": OK_TEXT},
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert message in html
    assert OK_TEXT in html  # the typed text is kept in the editor
    assert f'name="template_key" value="{key}"' not in html  # a retry saves without it
    assert _drafts(clinic_a, review) == 0


@pytest.mark.parametrize(
    ("key", "message"),
    [(LONG, "Ensure this field has no more than 80 characters."),
     ("nonexistent", "No such template.")],
    ids=["too-long", "unknown"],
)  # fmt: skip
def test_the_api_refuses_a_template_key_no_template_has(clinic_a, as_user, key, message):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    created = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT, "template_key": key})
    assert created.status_code == 400
    assert created.json()["fields"] == {"template_key": [message]}
    assert _drafts(clinic_a, review) == 0
    # a draft's new version too
    draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
    updated = writer.patch(
        f"drafts/{draft['id']}/", {"text": f"{OK_TEXT} Thanks.", "template_key": key}
    )
    assert updated.status_code == 400
    assert updated.json()["fields"] == {"template_key": [message]}
    with schema_context(clinic_a.schema_name):
        assert ReplyVersion.objects.filter(draft_id=draft["id"]).count() == 1


def test_a_known_key_the_drafts_own_or_none_is_saved(clinic_a, as_user, login):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    with schema_context(clinic_a.schema_name):
        ReplyTemplate.objects.create(
            key="ours-off", name="Ours", category="thank", body=OK_TEXT, is_active=False
        )
    # a built-in template's key
    draft = writer.post(
        "drafts/", {"review_id": review.pk, "text": OK_TEXT, "template_key": "thank"}
    )
    assert draft.status_code == 201, draft.json()
    draft_id = draft.json()["id"]
    # the clinic's own template, switched off while the writer edits; none
    for key, text in [("ours-off", f"{OK_TEXT} A"), ("", f"{OK_TEXT} B")]:
        response = writer.patch(f"drafts/{draft_id}/", {"text": text, "template_key": key})
        assert response.status_code == 200, response.json()
    # the page: the key its current version names, whatever the library holds now
    with schema_context(clinic_a.schema_name):
        ReplyVersion.objects.filter(draft_id=draft_id, number=3).update(template_key="gone-since")
    page = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/",
        {"action": "save", "draft_id": draft_id, "expected_version": 3,
         "template_key": "gone-since", "text": f"{OK_TEXT} C"},
    )  # fmt: skip
    assert page.status_code == 302
    with schema_context(clinic_a.schema_name):
        keys = list(
            ReplyVersion.objects.filter(draft_id=draft_id)
            .order_by("number")
            .values_list("template_key", flat=True)
        )
    assert keys == ["thank", "ours-off", "gone-since", "gone-since"]
