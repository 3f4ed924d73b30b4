"""Walk 1, F15: a decision on a text someone acted on first says who acted and when, in the
clinic's time: "You approved it at 15:12 (on another device or tab)" when it was the person
themself, "Alpha Manager approved it at 15:12" when another; still 409 `stale`, nothing
changed."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from responses.models import AuditEntry, ReplyDraft
from tests.responses.conftest import OK_TEXT, review_in


def _submitted(clinic, as_user) -> int:
    writer = as_user("alpha_writer", clinic)
    draft = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": OK_TEXT}).json()
    assert writer.post(f"drafts/{draft['id']}/submit/").json()["status"] == "pending_agency"
    return draft["id"]


def _approved_at(clinic, pk: int) -> str:
    with schema_context(clinic.schema_name):
        entry = AuditEntry.objects.filter(
            object_type="reply", object_id=pk, action="approved"
        ).latest("id")
    return f"{timezone.localtime(entry.created_at, clinic_zone(clinic)):%H:%M}"


def test_a_stale_decision_after_ones_own_approval_says_it_was_you(clinic_a, as_user):
    # given a reply the clinic's approver approved (on the laptop)
    pk = _submitted(clinic_a, as_user)
    as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/")
    approver = as_user("a_approver", clinic_a)
    assert approver.post(f"drafts/{pk}/approve/").json()["status"] == "approved"

    # when they send it back from a card read before (the phone)
    refused = approver.post(
        f"drafts/{pk}/reject/",
        {"comment": "Please leave out our phone number.", "expected_status": "pending_client"},
    )

    # then: they approved it themselves, at that time, and nothing changed
    assert refused.status_code == 409
    assert refused.json()["code"] == "stale"
    assert refused.json()["detail"] == (
        f"You approved it at {_approved_at(clinic_a, pk)} (on another device or tab): it is now "
        "“Approved”. Reload it."
    )
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).status == "approved"


def test_a_stale_decision_after_another_persons_names_them(clinic_a, as_user):
    # given a reply the agency's manager approved
    pk = _submitted(clinic_a, as_user)
    as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/")

    # when the owner approves it too, from the card they read while it waited for the agency
    refused = as_user("alpha_owner", clinic_a).post(
        f"drafts/{pk}/approve/", {"expected_status": "pending_agency"}
    )

    # then the manager is named, with the time
    assert (refused.status_code, refused.json()["code"]) == (409, "stale")
    assert refused.json()["detail"] == (
        f"Alpha Manager approved it at {_approved_at(clinic_a, pk)}: it is now “Waiting for the "
        "clinic”. Reload it."
    )
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).status == "pending_client"
