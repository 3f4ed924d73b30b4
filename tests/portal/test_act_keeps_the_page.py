"""Without JavaScript an approval or rejection on the portal's approvals page posts the form and
comes back to the page it was made on (the card's forms carry it), not to page 1; a `page`
that is not a page number is refused in the message, nothing acted, and never sends anyone
elsewhere."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyDraft
from tests.responses.backlog import backlog_create


def _form(html: str, draft_pk: int, action: str) -> dict:
    """The hidden fields of the card's `action` form for the reply `draft_pk`."""
    for form in re.findall(r"<form [^>]*action=\"[^\"]*act/\".*?</form>", html, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        if fields.get("id") == str(draft_pk) and fields.get("action") == action:
            return fields
    raise AssertionError(f"no {action} form for reply {draft_pk}")


@pytest.fixture
def forty_five(clinic_a):
    with schema_context(clinic_a.schema_name):
        drafts, _ = backlog_create(replies=45, batches=0, batch_size=3, status="pending_client")
    return drafts


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_act_on_page_three_comes_back_to_page_three(clinic_a, login, forty_five, action):
    approver = login("a_approver")
    base = f"/clinics/{clinic_a.slug}/portal/"
    html = approver.get(base + "approvals/?page=3").content.decode()
    last = forty_five[-1]
    fields = _form(html, last.pk, action)
    assert fields["page"] == "3"

    response = approver.post(base + "act/", {**fields, "comment": "Please say it warmer."})

    assert response.status_code == 302
    assert response["Location"] == base + "approvals/?page=3"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=last.pk).status != "pending_client"
    # and the page it comes back to (one card fewer: still 3 pages) says what happened
    back = approver.get(response["Location"]).content.decode()
    assert "Page 3 of 3" in back
    assert f"card-reply-{last.pk}" not in back


def test_page_one_carries_no_page(clinic_a, login, forty_five):
    approver = login("a_approver")
    html = approver.get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    assert "page" not in _form(html, forty_five[0].pk, "approve")


@pytest.mark.parametrize(
    "page",
    ["x", "-2", "0", "1.5", "//evil.example", "https://evil.example/", "²", "9" * 30],
    ids=["word", "negative", "zero", "fraction", "scheme-relative", "url", "superscript", "huge"],
)
def test_a_page_typed_wrong_is_refused_in_the_message_and_goes_nowhere_else(
    clinic_a, login, forty_five, page
):
    approver = login("a_approver")
    base = f"/clinics/{clinic_a.slug}/portal/"
    draft = forty_five[0]

    response = approver.post(
        base + "act/",
        {"kind": "reply", "id": draft.pk, "action": "approve", "page": page,
         "expected_status": "pending_client", "expected_version": 1},
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"] == base + "approvals/"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft.pk).status == "pending_client"  # nothing acted
    shown = approver.get(response["Location"]).content.decode()
    assert "page" in shown.lower() and "A number." in shown


def test_a_page_past_the_end_comes_back_to_the_last_page(clinic_a, login, forty_five):
    approver = login("a_approver")
    base = f"/clinics/{clinic_a.slug}/portal/"
    draft = forty_five[-1]

    response = approver.post(
        base + "act/",
        {"kind": "reply", "id": draft.pk, "action": "approve", "page": "9",
         "expected_status": "pending_client", "expected_version": 1},
    )  # fmt: skip

    assert response["Location"] == base + "approvals/?page=9"
    back = approver.get(response["Location"]).content.decode()
    assert "Page 3 of 3" in back
