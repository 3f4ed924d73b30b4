"""Two holes an integrator found (walk 14): a key's writing did not count as its creator's, so
an owner drafted with her own key and gave the agency's approval herself; and legal's override
lifted whatever version was current, not the one legal read (the forms' button said "for
version 1" and lifted version 2), while the clinic's legal could not read through the API the
draft they were asked about."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from core.errors import Conflict
from responses.models import AuditEntry, ReplyDraft
from responses.services.replies import reply_override_refuse
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, Api, review_in


def _key_api(world, clinic, *, created_by: str, scopes: list[str], agency_wide=False) -> Api:
    _, issued = api_key_create(
        agency=clinic.agency,
        clinic=None if agency_wide else clinic,
        name=f"crm {created_by} {'agency' if agency_wide else 'clinic'}",
        scopes=scopes,
        created_by=world.users[created_by],
    )
    return Api(Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"), clinic)


def test_nobody_approves_what_a_key_they_created_wrote(world, clinic_a, as_user):
    # given a clinic key the owner created, which drafts and submits a reply
    key = _key_api(world, clinic_a, created_by="alpha_owner", scopes=["read", "write"])
    review = review_in(clinic_a)
    draft = key.post("drafts/", {"review_id": review.pk, "text": OK_TEXT})
    assert draft.status_code == 201, draft.json()
    draft_id = draft.json()["id"]
    submitted = key.post(f"drafts/{draft_id}/submit/").json()
    assert submitted["status"] == "pending_agency"
    owner = f"user:{world.users['alpha_owner'].pk}"
    # then the owner is not among the people it waits for, but barred
    assert owner not in [p["label"] for p in submitted["waiting"]["people"]]
    assert owner in [p["label"] for p in submitted["waiting"]["barred"]]

    # when the owner approves it in person, or with an agency key she created
    refused = as_user("alpha_owner", clinic_a).post(
        f"drafts/{draft_id}/approve/", {"expected_status": "pending_agency"}
    )
    agency_key = _key_api(
        world, clinic_a, created_by="alpha_owner", scopes=["read", "approve"], agency_wide=True
    )
    by_her_key = agency_key.post(f"drafts/{draft_id}/approve/")

    # then both are refused as separation of duties, and nothing changed
    for answer in (refused, by_her_key):
        assert (answer.status_code, answer.json()["code"]) == (403, "separation_of_duties")
        assert "a key they created wrote" in answer.json()["detail"]
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft_id).status == "pending_agency"
        assert not AuditEntry.objects.filter(object_id=draft_id, action="approved").exists()
    # and another manager gives the agency's step
    approved = as_user("alpha_manager", clinic_a).post(f"drafts/{draft_id}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "pending_client")


def test_legal_overrides_only_the_version_they_read(clinic_a, as_user, access_of):
    # given a blocked reply its writer submitted (legal is asked about version 1)
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    legal = as_user("a_legal", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    asked = writer.post(f"drafts/{draft_id}/submit/").json()
    assert asked["audit"][-1]["action"] == "legal_asked"
    # then the clinic's legal person reads it through the API, as their portal page shows it
    read = legal.get(f"drafts/{draft_id}/")
    assert read.status_code == 200 and read.json()["version"] == 1
    assert draft_id in [d["id"] for d in legal.get("drafts/").json()["results"]]

    # when its writer saves a worse version 2 (not submitted) before legal acts
    worse = BLOCK_TEXT + " Your biopsy showed an infection."
    assert writer.patch(f"drafts/{draft_id}/", {"text": worse}).json()["version"] == 2
    reason = "The reviewer published these details themselves; counsel agrees."
    # then an override of version 1 (as read) is 409 stale, and one without a version too:
    # nobody asked legal about version 2
    for body in ({"reason": reason, "expected_version": 1}, {"reason": reason}):
        answer = legal.post(f"drafts/{draft_id}/override/", body)
        assert (answer.status_code, answer.json()["code"]) == (409, "stale"), answer.json()
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(pk=draft_id)
        assert draft.override_version is None and draft.is_blocked
        assert not AuditEntry.objects.filter(object_id=draft_id, action="guard_overridden")
    # and sending back version 2, which nobody submitted to legal, is refused the same way
    with schema_context(clinic_a.schema_name), pytest.raises(Conflict) as kept:
        reply_override_refuse(
            draft_id=draft_id, access=access_of("a_legal", clinic_a),
            comment="Take the biopsy out of it, please.", expected_version=2,
        )  # fmt: skip
    assert kept.value.code == "stale" and "now version 2" in str(kept.value)

    # when the writer submits version 2, legal lifts its block by naming it
    assert writer.post(f"drafts/{draft_id}/submit/").json()["audit"][-1]["action"] == "legal_asked"
    stale = legal.post(f"drafts/{draft_id}/override/", {"reason": reason, "expected_version": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    lifted = legal.post(f"drafts/{draft_id}/override/", {"reason": reason, "expected_version": 2})
    assert lifted.status_code == 200, lifted.json()
    assert lifted.json()["override"]["version"] == 2


def test_the_override_forms_carry_the_version_they_show(clinic_a, as_user, login):
    # given a blocked reply legal was asked about, then changed by its writer (version 2)
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    portal = login("a_legal")
    page = portal.get(f"/clinics/{clinic_a.slug}/portal/review/")
    assert page.status_code == 200
    html = page.content.decode()
    form = html[html.index(f'name="id" value="{draft_id}"') :][:400]
    assert 'name="expected_version" value="1"' in form
    writer.patch(f"drafts/{draft_id}/", {"text": BLOCK_TEXT + " Also your X-ray."})

    # when legal sends the form they read (version 1)
    answer = portal.post(
        f"/clinics/{clinic_a.slug}/portal/override/",
        {"kind": "reply", "id": draft_id, "expected_version": "1",
         "reason": "The reviewer shared this publicly; counsel agrees."},
    )  # fmt: skip

    # then it is refused with the reason on the page, and the block stays
    assert answer.status_code == 409
    assert "changed since you read it" in answer.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft_id).override_version is None


def test_a_version_from_nowhere_is_said_so_not_called_older(clinic_a, as_user):
    """Walk 14: `expected_version` 5 on a draft at version 1 answered "Someone saved a newer
    version (1) since you opened it"."""
    writer = as_user("alpha_writer", clinic_a)
    draft_id = writer.post(
        "drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}
    ).json()["id"]
    ahead = writer.patch(
        f"drafts/{draft_id}/", {"text": OK_TEXT + " Thanks.", "expected_version": 5}
    )
    assert (ahead.status_code, ahead.json()["code"]) == (409, "stale")
    assert ahead.json()["detail"] == "There is no version 5: the latest is version 1. Reload it."
    approve = as_user("alpha_manager", clinic_a).post(
        f"drafts/{draft_id}/approve/", {"expected_version": 7}
    )
    assert approve.json()["detail"].startswith("There is no version 7")
