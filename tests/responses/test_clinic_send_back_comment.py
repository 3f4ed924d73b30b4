"""The clinic's approver sends a reply back with a comment by the rule of legal's send-back
comment (three words or more, not one word or character repeated): "ok" or "." is a 400 naming
`comment`, nothing changes, and the portal's form shows the rule at the box with what was typed
kept in it (with htmx and without)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.text import REASON_RULE
from responses.models import AuditEntry, ReplyDraft
from tests.responses.conftest import OK_TEXT, review_in

SAYS = "Please drop the phone number; our front desk changed it."


def _waiting_for_clinic(clinic, as_user) -> int:
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    approved = as_user("alpha_manager", clinic).post(f"drafts/{pk}/approve/")
    assert approved.json()["status"] == "pending_client"
    return pk


def _state(clinic, pk) -> tuple:
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.get(pk=pk)
        actions = list(
            AuditEntry.objects.filter(object_type="reply", object_id=pk).values_list(
                "action", flat=True
            )
        )
        return draft.status, draft.last_comment, actions


@pytest.mark.parametrize("comment", ["ok", ".", "no no no no"], ids=repr)
def test_the_clinic_sending_back_without_saying_what_to_change_is_400(clinic_a, as_user, comment):
    pk = _waiting_for_clinic(clinic_a, as_user)
    before = _state(clinic_a, pk)

    refused = as_user("a_approver", clinic_a).post(f"drafts/{pk}/reject/", {"comment": comment})

    assert refused.status_code == 400
    [problem] = refused.json()["fields"]["comment"]
    assert problem in (
        REASON_RULE,
        "Say why in words: a repeated word or character is not a reason.",
    )
    assert _state(clinic_a, pk) == before


def test_the_clinic_sending_back_with_words_sends_it_back(clinic_a, as_user):
    pk = _waiting_for_clinic(clinic_a, as_user)

    sent = as_user("a_approver", clinic_a).post(f"drafts/{pk}/reject/", {"comment": SAYS})

    assert sent.status_code == 200
    assert _state(clinic_a, pk)[:2] == ("changes_requested", SAYS)


def _act(client, clinic, pk, comment, **headers):
    return client.post(
        f"/clinics/{clinic.slug}/portal/act/",
        {"kind": "reply", "id": pk, "action": "reject", "comment": comment,
         "expected_status": "pending_client", "expected_version": 1},
        **headers,
    )  # fmt: skip


def test_the_portal_form_without_javascript_keeps_the_comment_and_says_the_rule(
    clinic_a, as_user, login
):
    pk = _waiting_for_clinic(clinic_a, as_user)
    before = _state(clinic_a, pk)
    approver = login("a_approver")

    page = _act(approver, clinic_a, pk, "Fine fine")

    # the approvals page again (not a redirect that loses the box), the card's box holding
    # what was typed, the rule beside it
    assert page.status_code == 400
    html = page.content.decode()
    assert "Replies to approve" in html
    assert 'aria-invalid="true">Fine fine</textarea>' in html
    assert 'data-testid="comment-problem">' in html and REASON_RULE in html
    assert _state(clinic_a, pk) == before
    # the box says the rule before anything is typed, as legal's does
    fresh = approver.get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    assert f'id="comment-help-reply-{pk}"' in fresh


def test_the_portal_card_with_htmx_keeps_the_comment_and_says_the_rule(clinic_a, as_user, login):
    pk = _waiting_for_clinic(clinic_a, as_user)
    before = _state(clinic_a, pk)

    card = _act(login("a_approver"), clinic_a, pk, "ok", HTTP_HX_REQUEST="true")

    html = card.content.decode()
    assert REASON_RULE in html
    assert ">ok</textarea>" in html
    assert _state(clinic_a, pk) == before
