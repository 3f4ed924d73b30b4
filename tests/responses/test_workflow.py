"""The approval workflow end to end through the API: writer → agency → legal (when the guard
asks) → clinic → published once; self-approval, rejection, guard blocks and the legal
override, the clinician step, isolation and who may draft."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.crypto import encrypt_json
from feeds.models import Review
from responses.models import AuditEntry, OutboxItem, ReplyDraft
from responses.services.replies import reply_override_refuse
from responses.tasks import outbox_deliver_task
from tests.responses.conftest import (
    BLOCK_TEXT,
    HEALTH_TEXT,
    OK_TEXT,
    TONE_TEXT,
    Api,
    review_in,
)


def _actions(clinic, draft_id: int) -> list[tuple[str, str]]:
    with schema_context(clinic.schema_name):
        return list(
            AuditEntry.objects.filter(object_type="reply", object_id=draft_id)
            .order_by("id")
            .values_list("action", "actor_label")
        )


def _deliver(clinic, item_id: int) -> str:
    with schema_context(clinic.schema_name):
        return outbox_deliver_task(item_id)


def test_writer_agency_legal_client_then_published_exactly_once(
    platforms, clinic_a, world, as_user
):
    # given a review on Google and a webhook subscriber for reply events
    review = review_in(clinic_a, fake=platforms)
    with schema_context(clinic_a.schema_name):
        from webhooks.models import WebhookDelivery, WebhookSubscription

        WebhookSubscription.objects.create(
            url="https://hooks.example/carewatch",
            events=["reply.approved", "reply.published"],
            secret_encrypted=encrypt_json({"secret": "s" * 32}),
        )
    writer = as_user("alpha_writer", clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    legal = as_user("a_legal", clinic_a)
    approver = as_user("a_approver", clinic_a)

    # when the writer drafts a reply the guard wants legal to read, and submits it
    created = writer.post("drafts/", {"review_id": review.pk, "text": TONE_TEXT})
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert (draft["status"], draft["version"], draft["guard"]["verdict"]) == (
        "draft",
        1,
        "needs_review",
    )
    assert {f["kind"] for f in draft["guard"]["findings"]} == {"tone"}
    submitted = writer.post(f"drafts/{draft['id']}/submit/").json()
    assert submitted["status"] == "pending_agency"
    assert submitted["route"] == ["agency", "legal", "client"]

    # then each step is taken by its role, in order
    steps = [
        (manager, "pending_agency", "pending_legal"),
        (legal, "pending_legal", "pending_client"),
        (approver, "pending_client", "approved"),
    ]
    for api, before, after in steps:
        response = api.post(
            f"drafts/{draft['id']}/approve/", {"expected_status": before, "expected_version": 1}
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == after

    # and the approved reply waits in the outbox, once
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(draft_id=draft["id"])
        assert (item.status, item.kind, item.idempotency_key) == (
            "pending",
            "reply",
            f"reply:{draft['id']}:v1",
        )
    assert platforms.writes("google") == []

    # when the delivery task runs twice
    assert _deliver(clinic_a, item.pk) == "sent"
    assert _deliver(clinic_a, item.pk) == "skipped"

    # then Google got exactly one PUT, with the approved text
    puts = platforms.requests_for("google", method="PUT")
    assert len(puts) == 1
    assert puts[0].json == {"comment": TONE_TEXT}
    assert puts[0].path.endswith(f"/reviews/{review.external_id}/reply")
    detail = writer.get(f"drafts/{draft['id']}/").json()
    assert detail["status"] == "published"
    assert detail["outbox"][0]["status"] == "sent"
    assert detail["sla"]["met"] is True and detail["sla"]["running"] is False
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == "replied"
        events = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["reply.approved", "reply.published"]
    users = world.users
    assert _actions(clinic_a, draft["id"]) == [
        ("created", f"user:{users['alpha_writer'].pk}"),
        ("submitted", f"user:{users['alpha_writer'].pk}"),
        ("approved", f"user:{users['alpha_manager'].pk}"),
        ("approved", f"user:{users['a_legal'].pk}"),
        ("approved", f"user:{users['a_approver'].pk}"),
        ("published", "system:outbox"),
    ]


def test_nobody_approves_their_own_draft(clinic_a, as_user):
    # given a manager (who may approve at the agency step) submitting their own draft
    review = review_in(clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    draft_id = manager.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    manager.post(f"drafts/{draft_id}/submit/")

    # when they approve it
    response = manager.post(f"drafts/{draft_id}/approve/")

    # then it is refused and nothing moved
    assert response.status_code == 403
    assert response.json()["code"] == "separation_of_duties"
    assert manager.get(f"drafts/{draft_id}/").json()["status"] == "pending_agency"
    assert [a for a, _ in _actions(clinic_a, draft_id)] == ["created", "submitted"]


def test_wrong_role_for_the_step_is_refused(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    # the clinic approver cannot give the agency's approval, nor can the writer; the clinic's
    # people do not read a text at the agency's step, so it is not found to them (audit 2, F2)
    for name, refused in (("a_approver", 404), ("alpha_writer", 403), ("a_viewer", 404)):
        response = as_user(name, clinic_a).post(f"drafts/{draft_id}/approve/")
        assert response.status_code == refused, name
    assert writer.get(f"drafts/{draft_id}/").json()["status"] == "pending_agency"


def test_reject_with_comment_goes_back_to_the_writer_and_is_audited(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")

    # a rejection needs a comment
    empty = manager.post(f"drafts/{draft_id}/reject/", {"comment": " "})
    assert empty.status_code == 400
    assert empty.json()["code"] == "invalid"

    rejected = manager.post(f"drafts/{draft_id}/reject/", {"comment": "Offer the e-mail too."})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "changes_requested"
    assert rejected.json()["last_comment"] == "Offer the e-mail too."
    audit = rejected.json()["audit"][-1]
    assert (audit["action"], audit["comment"], audit["from_status"], audit["to_status"]) == (
        "rejected",
        "Offer the e-mail too.",
        "pending_agency",
        "changes_requested",
    )

    # the writer saves version 2 and submits again
    edited = writer.patch(
        f"drafts/{draft_id}/",
        {"text": OK_TEXT + " You can also write to us.", "expected_version": 1},
    )
    assert edited.status_code == 200
    assert [v["number"] for v in edited.json()["versions"]] == [2, 1]
    assert writer.post(f"drafts/{draft_id}/submit/").json()["status"] == "pending_agency"
    # a stale save is refused
    stale = writer.patch(f"drafts/{draft_id}/", {"text": "Other", "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale"


def test_editing_under_review_sends_it_back_to_draft(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    edited = writer.patch(f"drafts/{draft_id}/", {"text": OK_TEXT + " Thank you again."}).json()
    assert (edited["status"], edited["version"], edited["route"]) == ("draft", 2, [])
    # an approver holding the old version number loses
    stale = as_user("alpha_manager", clinic_a).post(
        f"drafts/{draft_id}/approve/", {"expected_version": 1}
    )
    assert stale.status_code == 409


def test_blocked_draft_goes_nowhere_until_legal_overrides_with_a_reason(
    platforms, clinic_a, as_user
):
    # given a draft the guard blocks
    review = review_in(clinic_a, fake=platforms)
    writer = as_user("alpha_writer", clinic_a)
    legal = as_user("a_legal", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
    assert draft["guard"]["verdict"] == "block"
    assert draft["guard"]["blocked"] is True
    assert any(f["kind"] == "patient_confirmation" for f in draft["guard"]["findings"])

    # then submitting it does not send it for approval: it asks legal, and stays a draft
    asked = writer.post(f"drafts/{draft['id']}/submit/")
    assert asked.status_code == 200, asked.json()
    assert (asked.json()["status"], asked.json()["route"]) == ("draft", [])
    assert asked.json()["audit"][-1]["action"] == "legal_asked"

    # and only the legal role may override it, with a reason
    assert writer.post(f"drafts/{draft['id']}/override/", {"reason": "x" * 20}).status_code == 403
    assert (
        as_user("alpha_manager", clinic_a)
        .post(f"drafts/{draft['id']}/override/", {"reason": "x" * 20})
        .status_code
        == 403
    )
    assert legal.post(f"drafts/{draft['id']}/override/", {"reason": "short"}).status_code == 400
    reason = "The reviewer published their own chart details; approved by counsel."
    overridden = legal.post(f"drafts/{draft['id']}/override/", {"reason": reason})
    assert overridden.status_code == 200
    assert overridden.json()["override"]["reason"] == reason
    assert overridden.json()["guard"]["blocked"] is False
    last = overridden.json()["audit"][-1]
    assert (last["action"], last["comment"], last["actor_name"]) == (
        "guard_overridden",
        reason,
        "A Legal",
    )
    assert last["detail"]["findings"]

    # then it goes through (no second legal step: the override was legal's review)
    submitted = writer.post(f"drafts/{draft['id']}/submit/").json()
    assert submitted["route"] == ["agency", "client"]
    as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")
    final = as_user("a_approver", clinic_a).post(f"drafts/{draft['id']}/approve/").json()
    assert final["status"] == "approved"
    assert _deliver(clinic_a, final["outbox"][0]["id"]) == "sent"
    assert len(platforms.requests_for("google", method="PUT")) == 1


def test_an_override_covers_only_the_version_it_was_given_for(clinic_a, as_user, access_of):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")  # legal is asked
    lifted = as_user("a_legal", clinic_a).post(
        f"drafts/{draft_id}/override/", {"reason": "Counsel approved this wording."}
    )
    assert lifted.status_code == 200, lifted.json()
    edited = writer.patch(f"drafts/{draft_id}/", {"text": BLOCK_TEXT + " Thanks."}).json()
    assert edited["guard"]["blocked"] is True
    assert edited["override"]["current"] is False
    # submitted, the new version goes to legal again, not for approval
    submitted = writer.post(f"drafts/{draft_id}/submit/").json()
    assert (submitted["status"], submitted["audit"][-1]["action"]) == ("draft", "legal_asked")
    # and once legal kept its block, submitting that version again is refused (422)
    with schema_context(clinic_a.schema_name):
        reply_override_refuse(
            draft_id=draft_id, access=access_of("a_legal", clinic_a), comment="Take the chart out."
        )
    refused = writer.post(f"drafts/{draft_id}/submit/")
    assert (refused.status_code, refused.json()["code"]) == (422, "guard_blocked")
    assert refused.json()["detail"].startswith("Legal kept the privacy block of this version")


def test_health_details_add_the_clinician_step(clinic_a, as_user):
    from django.test import Client

    from clinics.services import clinic_member_add

    membership = clinic_member_add(
        clinic=clinic_a,
        email="a_clinician@clinics.test",
        full_name="A Clinician",
        role="viewer",
        crisis_roles=["clinician"],
    )
    client = Client()
    client.force_login(membership.user)
    clinician = Api(client, clinic_a)
    # given a clinic that skips the agency step (the owner switches it off, with a reason)
    owner = as_user("alpha_owner", clinic_a)
    reason = "The clinic reviews every reply itself this month."
    off = {"require_agency_approval": False, "reason": reason}
    assert as_user("alpha_manager", clinic_a).patch("reply-settings/", off).status_code == 403
    assert owner.patch("reply-settings/", off).status_code == 200
    assert as_user("alpha_writer", clinic_a).patch("reply-settings/", {}).status_code == 403
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": HEALTH_TEXT}).json()
    assert [f["kind"] for f in draft["guard"]["findings"]] == ["health_detail"]
    # when it is submitted, legal (needs review) and the clinician (health detail) must read it
    submitted = writer.post(f"drafts/{draft['id']}/submit/").json()
    assert submitted["route"] == ["legal", "clinician", "client"]
    as_user("a_legal", clinic_a).post(f"drafts/{draft['id']}/approve/")
    # the clinic approver is not a clinician: the clinician's step is not theirs to read
    assert as_user("a_approver", clinic_a).post(f"drafts/{draft['id']}/approve/").status_code == 404
    assert clinician.post(f"drafts/{draft['id']}/approve/").json()["status"] == "pending_client"


def test_a_review_has_one_open_draft(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    first = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
    second = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT})
    assert second.status_code == 409
    assert second.json()["code"] == "draft_exists"
    assert second.json()["fields"] == {"draft_id": [str(first["id"])]}
    # once discarded, a new one may start
    assert writer.post(f"drafts/{first['id']}/discard/").json()["status"] == "discarded"
    assert writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).status_code == 201


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("user", "a_viewer"),
        ("user", "alpha_analyst"),
        ("user", "a_approver"),
        ("key", "key_a_read"),
    ],
    ids=["clinic-viewer", "agency-analyst", "clinic-approver", "read-only-key"],
)
def test_viewers_and_analysts_cannot_draft(kind, name, clinic_a, login, api):
    review = review_in(clinic_a)
    client = login(name) if kind == "user" else api(name)
    response = client.post(
        f"/clinics/{clinic_a.slug}/api/v1/drafts/",
        {"review_id": review.pk, "text": OK_TEXT},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.count() == 0
        assert AuditEntry.objects.count() == 0


def test_clinic_b_cannot_reach_clinic_a_drafts(clinic_a, clinic_b, as_user, api):
    # given a draft in clinic A, made with clinic A's key
    review = review_in(clinic_a)
    key_a = api("key_a")
    created = key_a.post(
        f"/clinics/{clinic_a.slug}/api/v1/drafts/",
        {"review_id": review.pk, "text": OK_TEXT},
        content_type="application/json",
    )
    assert created.status_code == 201
    draft_id = created.json()["id"]
    assert created.json()["author_label"].startswith("api-key:")
    key_b = api("key_b")
    # then clinic B's key finds nothing of it, in clinic B nor in clinic A
    for path in (
        f"/clinics/{clinic_b.slug}/api/v1/drafts/{draft_id}/",
        f"/clinics/{clinic_a.slug}/api/v1/drafts/{draft_id}/",
        f"/clinics/{clinic_b.slug}/api/v1/drafts/{draft_id}/audit/",
    ):
        response = key_b.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    for action, body in (
        ("submit", {}),
        ("approve", {"comment": "no"}),
        ("reject", {"comment": "no"}),
    ):
        response = key_b.post(
            f"/clinics/{clinic_b.slug}/api/v1/drafts/{draft_id}/{action}/",
            body,  # each action's own fields: an unknown one is a 400 before any lookup
            content_type="application/json",
        )
        assert response.status_code == 404, action
    assert key_b.get(f"/clinics/{clinic_b.slug}/api/v1/drafts/").json()["results"] == []
    # nor does clinic B's approver
    assert as_user("b_approver", clinic_a).get(f"drafts/{draft_id}/").status_code == 404
    with schema_context(clinic_b.schema_name):
        assert ReplyDraft.objects.count() == 0


def test_sla_clock_against_the_clinic_target(clinic_a, as_user):
    from datetime import timedelta

    from django.utils import timezone

    late = review_in(clinic_a, published_at=timezone.now() - timedelta(hours=30))
    fresh = review_in(clinic_a, published_at=timezone.now() - timedelta(hours=1))
    writer = as_user("alpha_writer", clinic_a)
    overdue = writer.post("drafts/", {"review_id": late.pk, "text": OK_TEXT}).json()["sla"]
    on_time = writer.post("drafts/", {"review_id": fresh.pk, "text": OK_TEXT}).json()["sla"]
    assert overdue["target_minutes"] == 24 * 60
    assert overdue["breached"] is True and overdue["remaining_seconds"] < -5 * 3600
    assert on_time["breached"] is False
    assert 22 * 3600 < on_time["remaining_seconds"] <= 23 * 3600
