"""Hostile-input walk 3: the same approval sent twice (a double click, a retry with only
`expected_version`, the only expectation a reply batch takes) answered the second one "Your
role in this clinic cannot give the Clinic approval.", as if the first had failed. It is still
refused (403, separation of duties: the person gave this version's step), and now says that
their approval went through and where the text waits; nothing is approved twice. A batch's
text over 20,000 characters, refused by the API, was saved by the batch page; every path
refuses it now."""

from __future__ import annotations

from django_tenants.utils import schema_context

from responses.models import AuditEntry, ReplyBatch
from tests.responses.conftest import OK_TEXT, review_in
from tests.responses.test_batches import _claim


def _approvals(clinic, object_type: str, pk: int) -> int:
    with schema_context(clinic.schema_name):
        return AuditEntry.objects.filter(
            object_type=object_type, object_id=pk, action="approved"
        ).count()


def test_a_reply_approved_twice_says_the_first_approval_went_through(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post(f"drafts/{pk}/approve/", {"expected_version": 1}).status_code == 200

    again = manager.post(f"drafts/{pk}/approve/", {"expected_version": 1})
    bare = manager.post(f"drafts/{pk}/approve/")

    for response in (again, bare):
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
        assert response.json()["detail"] == (
            "You approved this version already: it now waits for the Clinic approval, which "
            "your role cannot give. Nothing was changed."
        )
    assert _approvals(clinic_a, "reply", pk) == 1
    # someone who never approved it still reads that their role cannot give the step
    refused = as_user("alpha_owner", clinic_a).post(f"drafts/{pk}/approve/")
    assert refused.json()["detail"] == "Your role in this clinic cannot give the Clinic approval."
    # with the status it read, the retry is told someone (here: they) acted first
    stale = manager.post(f"drafts/{pk}/approve/", {"expected_status": "pending_agency"})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")


def test_a_batch_approved_twice_says_the_first_approval_went_through(clinic_a, as_user):
    _, review_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    batch = writer.post(
        "reply-batches/", {"review_ids": review_ids, "kind": "reply", "text": OK_TEXT}
    ).json()
    version = batch["version"]
    writer.post(f"reply-batches/{batch['id']}/submit/", {"expected_version": version})
    manager = as_user("alpha_manager", clinic_a)
    first = manager.post(f"reply-batches/{batch['id']}/approve/", {"expected_version": version})
    assert first.status_code == 200, first.json()

    again = manager.post(f"reply-batches/{batch['id']}/approve/", {"expected_version": version})

    assert again.status_code == 403, again.json()
    assert again.json()["detail"].startswith("You approved this version already: it now waits")
    assert _approvals(clinic_a, "reply_batch", batch["id"]) == 1


def test_the_batch_page_refuses_a_text_over_20000_characters(clinic_a, as_user, login):
    _, review_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    batch = writer.post(
        "reply-batches/", {"review_ids": review_ids, "kind": "reply", "text": OK_TEXT}
    ).json()
    too_long = "We hear you. " * 1600  # 20,800 characters

    response = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/batches/{batch['id']}/",
        {"action": "save", "expected_version": batch["version"], "text": too_long},
    )

    assert response.status_code == 400
    assert "At most 20,000 characters (it has 20,799)." in response.content.decode()
    assert too_long.strip()[:200] in response.content.decode()  # the typed text comes back
    with schema_context(clinic_a.schema_name):
        stored = ReplyBatch.objects.get(pk=batch["id"])
        assert stored.version == batch["version"]
