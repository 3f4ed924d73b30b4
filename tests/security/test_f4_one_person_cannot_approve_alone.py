"""Finding 4: one agency person pushed a reply through every step alone: the owner added
herself as clinic approver with the legal and clinician roles, overrode a guard block with the
reason "aaaaaaaaaa", then approved the agency, clinician and client steps (`user:1` four times
in the audit). Now: agency staff cannot hold clinic or crisis roles, nobody gives two steps of
one version (a legal override counts as one), an override reason must say something and is
shown to the client, and switching approval steps off takes the owner and a reason, is
audited and shows as a standing banner on the clinic's pages and in the portal."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import ClinicMembership
from clinics.services import clinic_member_add
from core.errors import PermissionDenied, ValidationFailed
from responses.models import AuditEntry, ReplyDraft, ResponseSettings
from responses.services.replies import (
    reply_approve,
    reply_draft_create,
    reply_override,
    reply_submit,
)
from tests.responses.conftest import BLOCK_TEXT, review_in


def _access(world, name, clinic):
    return clinic_access(Actor(user=world.users[name]), clinic)


def test_agency_staff_cannot_grant_themselves_clinic_or_crisis_roles(world, clinic_a):
    for role, crisis in [("approver", []), ("viewer", ["legal", "clinician"])]:
        with pytest.raises(ValidationFailed) as refused:
            clinic_member_add(
                clinic=clinic_a,
                email="owner@alpha.test",
                full_name="Alpha Owner",
                role=role,
                crisis_roles=crisis,
            )
        assert "email" in refused.value.fields
    assert not ClinicMembership.objects.filter(user=world.users["alpha_owner"]).exists()
    # a membership that exists anyway (made before she joined the agency) grants nothing
    ClinicMembership.objects.create(
        clinic=clinic_a,
        user=world.users["alpha_owner"],
        role="approver",
        crisis_roles=["legal", "clinician"],
    )
    access = _access(world, "alpha_owner", clinic_a)
    assert (access.clinic_role, access.crisis_roles) == (None, frozenset())
    assert not access.can("approve_client") and not access.can("legal_override")


def test_nobody_gives_two_steps_of_one_version(world, clinic_a):
    both = clinic_member_add(
        clinic=clinic_a,
        email="f4_both@clinics.test",
        full_name="Both Hats",
        role="approver",
        crisis_roles=["legal", "clinician"],
    ).user
    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        writer = _access(world, "alpha_writer", clinic_a)
        draft = reply_draft_create(review_id=review.pk, access=writer, text=BLOCK_TEXT)
        ReplyDraft.objects.filter(pk=draft.pk).update(
            status="pending_agency", route=["agency", "clinician", "client"],
            legal_asked_version=draft.version,  # its writer asked legal to lift the block
        )  # fmt: skip
        hats = clinic_access(Actor(user=both), clinic_a)
        # the legal override is a step: whoever overrides gives no other step of this version
        for reason in ["aaaaaaaaaa", "ok ok ok ok", "a a a a a a", "fine."]:
            with pytest.raises(ValidationFailed) as refused:
                reply_override(draft_id=draft.pk, access=hats, reason=reason)
            assert "reason" in refused.value.fields
        reason = "Patient consented in writing to this wording, see ticket 4411."
        reply_override(draft_id=draft.pk, access=hats, reason=reason)
        reply_approve(draft_id=draft.pk, access=_access(world, "alpha_owner", clinic_a))
        assert ReplyDraft.objects.get(pk=draft.pk).status == "pending_clinician"
        with pytest.raises(PermissionDenied):
            reply_approve(draft_id=draft.pk, access=hats)
        assert ReplyDraft.objects.get(pk=draft.pk).status == "pending_clinician"
        labels = list(
            AuditEntry.objects.filter(object_type="reply", object_id=draft.pk)
            .exclude(action="created")
            .values_list("action", "actor_label")
        )
    assert labels == [
        ("guard_overridden", f"user:{both.pk}"),
        ("approved", f"user:{world.users['alpha_owner'].pk}"),
    ]


def test_the_client_sees_the_override_reason_in_the_portal(world, clinic_a, login):
    review = review_in(clinic_a)
    reason = "Patient consented in writing to this wording, see ticket 4411."
    with schema_context(clinic_a.schema_name):
        draft = reply_draft_create(
            review_id=review.pk, access=_access(world, "alpha_writer", clinic_a), text=BLOCK_TEXT
        )
        reply_submit(draft_id=draft.pk, access=_access(world, "alpha_writer", clinic_a))
        reply_override(draft_id=draft.pk, access=_access(world, "a_legal", clinic_a), reason=reason)
        ReplyDraft.objects.filter(pk=draft.pk).update(status="pending_client", route=["client"])
    page = login("a_approver").get("/clinics/clinic-a/portal/approvals/")
    assert page.status_code == 200
    assert "Overridden by legal" in page.content.decode() and reason in page.content.decode()


def _settings(client, data):
    return client.patch(
        "/clinics/clinic-a/api/v1/reply-settings/", data, content_type="application/json"
    )


def test_switching_approval_steps_off_takes_the_owner_and_a_reason(world, clinic_a, login, api):
    manager, owner = login("alpha_manager"), login("alpha_owner")
    off = {"require_client_approval": False, "require_agency_approval": False}
    # a manager, and a key, cannot; an owner without a real reason cannot
    assert _settings(manager, {**off, "reason": "Clinic asked us to by phone."}).status_code == 403
    assert _settings(api("key_alpha"), off).status_code == 403
    refused = _settings(owner, {**off, "reason": "aaaaaaaaaa"})
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    with schema_context(clinic_a.schema_name):
        row = ResponseSettings.objects.filter(pk=1).first()
        assert row is None or not row.steps_off
    # the owner with a reason can; it is audited and shown everywhere in the clinic
    reason = "The clinic director approves replies by phone during her leave."
    done = _settings(owner, {**off, "reason": reason})
    assert done.status_code == 200, done.json()
    assert done.json()["steps_off_reason"] == reason
    with schema_context(clinic_a.schema_name):
        entry = AuditEntry.objects.filter(object_type="settings").latest("id")
    assert entry.actor_label == f"user:{world.users['alpha_owner'].pk}"
    assert entry.detail["reason"] == reason
    assert set(entry.detail["steps_off"]) == set(off)
    for client, path in [
        (manager, "/clinics/clinic-a/"),
        (login("a_approver"), "/clinics/clinic-a/portal/"),
    ]:
        page = client.get(path, follow=True).content.decode()
        assert "Approval steps are switched off" in page and reason in page, path
    # switched back on: the banner goes
    assert _settings(owner, dict.fromkeys(off, True)).status_code == 200
    page = login("a_approver").get("/clinics/clinic-a/portal/", follow=True).content.decode()
    assert "Approval steps are switched off" not in page
    # a manager may still switch steps on, or change other settings
    assert _settings(manager, {"allow_reviewer_name": True}).status_code == 200
