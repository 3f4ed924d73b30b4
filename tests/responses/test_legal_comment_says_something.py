"""Legal's comment when it sends a text back (a rejection at the legal step, or the privacy
block kept) is the writer's only guide and a line of the approvals log: it must say
something, by the rule of a legal override's reason (three words or more, not one word or
character repeated). "ok" or "." is a 400 naming `comment`, and nothing changes; the agency's
and the clinic's own rejections keep their plain rule (a comment)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.text import REASON_RULE
from responses.models import AuditEntry, ReplyDraft
from tests.responses.conftest import BLOCK_TEXT, TONE_TEXT, review_in

SAYS = "Do not mention the chart; invite them to call the office."


def _waiting_for_legal(clinic, as_user) -> int:
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": TONE_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    approved = as_user("alpha_manager", clinic).post(f"drafts/{pk}/approve/")
    assert approved.json()["status"] == "pending_legal"
    return pk


def _blocked_asking_legal(clinic, as_user) -> int:
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": BLOCK_TEXT}).json()
    writer.post(f"drafts/{pk['id']}/submit/")  # blocked: legal is asked
    return pk["id"]


def _state(clinic, pk) -> tuple:
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.get(pk=pk)
        actions = list(
            AuditEntry.objects.filter(object_type="reply", object_id=pk).values_list(
                "action", flat=True
            )
        )
        return draft.status, draft.last_comment, actions


@pytest.mark.parametrize("comment", ["ok", ".", "no no no no", "fine, fine"], ids=repr)
def test_legal_rejecting_without_saying_what_to_change_is_400_and_changes_nothing(
    clinic_a, as_user, comment
):
    pk = _waiting_for_legal(clinic_a, as_user)
    before = _state(clinic_a, pk)

    refused = as_user("a_legal", clinic_a).post(f"drafts/{pk}/reject/", {"comment": comment})

    assert refused.status_code == 400
    [problem] = refused.json()["fields"]["comment"]
    assert problem in (
        REASON_RULE,
        "Say why in words: a repeated word or character is not a reason.",
    )
    assert _state(clinic_a, pk) == before


def test_legal_rejecting_with_words_sends_it_back(clinic_a, as_user):
    pk = _waiting_for_legal(clinic_a, as_user)

    sent = as_user("a_legal", clinic_a).post(f"drafts/{pk}/reject/", {"comment": SAYS})

    assert sent.status_code == 200
    assert _state(clinic_a, pk)[:2] == ("changes_requested", SAYS)


@pytest.mark.parametrize("comment", ["ok", "."], ids=repr)
def test_legal_keeping_a_block_without_saying_what_to_change_is_400_and_changes_nothing(
    clinic_a, as_user, login, comment
):
    pk = _blocked_asking_legal(clinic_a, as_user)
    before = _state(clinic_a, pk)

    # the portal's "keep the block" form: the page again with the rule, what was typed kept
    page = login("a_legal").post(
        f"/clinics/{clinic_a.slug}/portal/override/",
        {"kind": "reply", "id": pk, "action": "send_back", "comment": comment,
         "expected_version": 1},
    )  # fmt: skip

    assert page.status_code == 400
    assert REASON_RULE in page.content.decode()
    assert _state(clinic_a, pk) == before


def test_the_agency_may_still_send_a_text_back_with_a_short_comment(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": TONE_TEXT}).json()[
        "id"
    ]
    writer.post(f"drafts/{pk}/submit/")

    sent = as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/reject/", {"comment": "Shorter."})

    assert sent.status_code == 200
    assert _state(clinic_a, pk)[:2] == ("changes_requested", "Shorter.")
