"""An approval its person took back (`workflow.take_back`) no longer counts as a step given:
the approvals log says so on its line, "Approved, then taken back (who, when)", wherever the
log is read (the clinic's staff page, its CSV file and API, the portal, the agency's log and
its CSV file); an approval that stands reads "Approved"."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from responses.apis.serializers import ApprovalsLogEntryOutputSerializer
from responses.models import AuditEntry
from responses.selectors import LOG_DECISION_CHOICES
from responses.services import replies as reply_services
from tests.responses.approvals_log import PAGE, PORTAL, access_in, api_rows, csv_rows
from tests.responses.conftest import TONE_TEXT, review_in

AGENCY_LOG = "/agency/approvals-log/"


@pytest.fixture
def taken_back(world, clinic_a) -> dict:
    """A reply the manager approved for the agency, then legal approved and took back."""
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        legal = access_in(world, "a_legal", clinic_a)
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=TONE_TEXT
        )
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        reply_services.reply_approve(
            draft_id=draft.pk, access=access_in(world, "alpha_manager", clinic_a)
        )
        reply_services.reply_approve(draft_id=draft.pk, access=legal)
        reply_services.reply_take_back(draft_id=draft.pk, access=legal, comment="Misread it.")
        entries = AuditEntry.objects.filter(object_type="reply", object_id=draft.pk)
        legal_ok = entries.get(action="approved", detail__step="legal")
        back = entries.get(action="approval_taken_back")
    at = timezone.localtime(back.created_at, clinic_zone(clinic_a)).strftime("%Y-%m-%d %H:%M")
    return {"reply": draft.pk, "approval": legal_ok.pk,
            "words": f"Approved, then taken back (A Legal, {at})"}  # fmt: skip


def test_the_api_says_the_approval_was_taken_back(taken_back, login):
    rows = api_rows(login("alpha_manager"), decision="approved")

    by_id = {r["id"]: r for r in rows if r["reply_id"] == taken_back["reply"]}
    assert by_id[taken_back["approval"]]["decision_words"] == taken_back["words"]
    assert by_id[taken_back["approval"]]["decision"] == "approved"
    # the agency's approval stands: it reads as it did
    [standing] = [r for i, r in by_id.items() if i != taken_back["approval"]]
    assert (standing["step"], standing["decision_words"]) == ("agency", "Approved")


def test_the_api_document_says_every_form_the_words_take():
    described = ApprovalsLogEntryOutputSerializer().fields["decision_words"].help_text

    # each decision, with the words it reads as (a discarded one says how: below)
    for decision, words in LOG_DECISION_CHOICES:
        assert f"`{decision}`" in described
        assert decision == "discarded" or f'"{words}' in described
    assert '", then taken back (Ann Lee, 2026-12-05 20:08)"' in described
    assert "Approved as a batch of 16 replies" in described
    assert '"Discarded while blocked, waiting for legal review"' in described
    assert ": its review was settled" in described and "its mentions were settled" in described
    assert '"Submitted to legal review: the privacy check blocks it"' in described
    assert '" (written by Wren Writer)"' in described


def test_the_pages_and_the_csv_files_say_it_too(taken_back, login):
    words = taken_back["words"]
    staff = login("alpha_owner")
    assert words in staff.get(PAGE).content.decode()
    rows = csv_rows(staff.get(PAGE, {"format": "csv"}))
    assert words in [r["decision"] for r in rows]

    # the clinic's people, in the portal
    portal = login("a_approver").get(PORTAL).content.decode()
    assert f"{words}</strong> by A Legal" in portal

    # the agency's log of every clinic, and its file
    assert words in staff.get(AGENCY_LOG).content.decode()
    rows = csv_rows(staff.get(AGENCY_LOG, {"format": "csv"}))
    assert words in [r["decision"] for r in rows]
