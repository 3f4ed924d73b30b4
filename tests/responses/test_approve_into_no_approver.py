"""The agency approves a reply into the clinic's approval step while the clinic has no
approver: it waits there for good, and the agency's approver is told at once, on the page (a
warning naming the gap and what to do) and in the API (`waiting.stuck`)."""

from __future__ import annotations

from html import unescape

from clinics.models import ClinicMembership
from tests.responses.conftest import OK_TEXT, review_in

STUCK_WORDS = (
    "Stuck: Clinic A has no approver, so nobody can give the clinic approval and this text "
    "waits there for good. Add one of the clinic's people as its approver on the clinic's "
    "people page (/clinics/clinic-a/settings/people/): it then waits on their approvals page."
)


def _submitted(clinic, as_user) -> int:
    writer = as_user("alpha_writer", clinic)
    draft = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": OK_TEXT}).json()
    assert writer.post(f"drafts/{draft['id']}/submit/").json()["status"] == "pending_agency"
    return draft["id"]


def test_the_api_says_a_reply_approved_into_a_clinic_without_approver_is_stuck(clinic_a, as_user):
    # given: Clinic A has no approver, and a reply waits for the agency
    ClinicMembership.objects.filter(clinic=clinic_a, role="approver").delete()
    draft_id = _submitted(clinic_a, as_user)

    # when: the agency's manager approves it
    answer = as_user("alpha_manager", clinic_a).post(f"drafts/{draft_id}/approve/")

    # then: it waits for the clinic approval, for nobody, and says why
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "pending_client"
    assert (body["waiting"]["step"], body["waiting"]["people"]) == ("client", [])
    assert body["waiting"]["stuck"] == "no_clinic_approver"


def test_a_reply_waiting_for_an_approver_who_exists_is_not_stuck(clinic_a, as_user):
    draft_id = _submitted(clinic_a, as_user)

    body = as_user("alpha_manager", clinic_a).post(f"drafts/{draft_id}/approve/").json()

    assert body["status"] == "pending_client"
    assert body["waiting"]["stuck"] is None
    assert [p["name"] for p in body["waiting"]["people"]] != []


def test_the_page_warns_the_agency_approver_at_once(clinic_a, as_user, login):
    # given: Clinic A has no approver, and a reply waits for the agency
    ClinicMembership.objects.filter(clinic=clinic_a, role="approver").delete()
    draft_id = _submitted(clinic_a, as_user)

    # when: the manager approves it on the approvals page
    answer = login("alpha_manager").post(
        "/clinics/clinic-a/replies/act/",
        {"kind": "reply", "id": draft_id, "action": "approve"},
        follow=True,
    )

    # then: besides "Approved", a warning names the gap and what to do
    html = unescape(answer.content.decode())
    assert "Approved. Next: waiting for the clinic." in html
    assert STUCK_WORDS in html


def test_the_page_says_nothing_more_when_the_clinic_can_approve(clinic_a, as_user, login):
    draft_id = _submitted(clinic_a, as_user)

    answer = login("alpha_manager").post(
        "/clinics/clinic-a/replies/act/",
        {"kind": "reply", "id": draft_id, "action": "approve"},
        follow=True,
    )

    html = unescape(answer.content.decode())
    # who acts next, by name (not "waiting for the clinic")
    assert "Approved. Next: the clinic's approver (A Approver) gives the final approval." in html
    assert "Stuck:" not in html
