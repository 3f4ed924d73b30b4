"""A text the clinic's legal sent back (kept the privacy block, or rejected it at the legal
step) stays bound to legal: every later version goes to the legal step whatever the privacy
check says (`workflow.route_for`, the one rule), legal is told with their earlier comment and
reads what changed, the writer is told so, and the clinic's approver reads on the card that
legal sent an earlier version back and approved this one. Through the API, the staff pages,
the portal and a batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.access import role_words_shown
from clinics.models import Notification
from responses.models import AuditEntry, ReplyBatch, ReplyDraft
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, TONE_TEXT, review_in
from tests.responses.test_batches import _claim

KEEP = "Do not mention the chart at all; invite them to call the office."
NO = "Too defensive: thank them and invite them to call instead."
WRITER = "writer@alpha.test"
LEGAL = "a_legal@clinics.test"
CLEAN_BATCH = "{greeting} please call us at {contact_line}."


def _keep_block(login, clinic, kind: str, pk: int, version: int):
    return login("a_legal").post(
        f"/clinics/{clinic.slug}/portal/override/",
        {"kind": kind, "id": pk, "action": "send_back", "comment": KEEP,
         "expected_version": version},
    )  # fmt: skip


def _act(client, clinic, kind: str, pk: int, status: str, version: int):
    return client.post(
        f"/clinics/{clinic.slug}/portal/act/",
        {"kind": kind, "id": pk, "action": "approve", "expected_status": status,
         "expected_version": version},
    )  # fmt: skip


def _due(clinic, review) -> str:
    """What a "waits for you" title ends with: the reply target's deadline (Clinic A is in UTC)."""
    due = review.published_at + timedelta(minutes=clinic.reply_target_minutes)
    return f" — reply due {due:%a %-d %b %Y, %H:%M} UTC"


def test_a_reply_legal_kept_the_block_of_goes_back_to_legal_when_its_next_version_passes(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")  # blocked: legal is asked
    mailoutbox.clear()

    # given legal keeps the block and sends version 1 back (in the portal)
    with capture(execute=True):
        assert _keep_block(login, clinic_a, "reply", pk, 1).status_code == 302

    # then the writer is told the truth: the next version goes to legal again
    told = Notification.objects.get(ref=f"reply:{pk}:sent_back")
    assert told.user.email == WRITER
    [mail] = mailoutbox
    assert mail.to == [WRITER]
    assert "your next version goes to legal again" in mail.body
    assert "needs no legal review" not in mail.body
    # and the editor no longer says legal was asked: legal refused
    editor_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    editor = writer.client.get(editor_url).content.decode()
    assert "legal was asked to lift the block" not in editor
    assert (
        "legal kept the block and sent this version back: your next version goes to legal again."
    ) in editor
    assert 'data-legal-kept="1"' in editor
    assert "A Legal (legal) sent version 1 back on" in editor
    mailoutbox.clear()

    # when the writer's version 2 passes the privacy check and she submits it
    assert writer.patch(f"drafts/{pk}/", {"text": OK_TEXT}).json()["guard"]["verdict"] == "ok"
    with capture(execute=True):
        submitted = writer.post(f"drafts/{pk}/submit/").json()

    # then it goes to legal after the agency, whatever the check says
    assert submitted["status"] == "pending_agency"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).route == ["agency", "legal", "client"]
    assert not Notification.objects.filter(ref=f"reply:{pk}", user__email=LEGAL, open=True)
    with capture(execute=True):
        approved = as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/").json()
    assert approved["status"] == "pending_legal"

    # and legal is told a new version waits for them, with their earlier comment
    notice = Notification.objects.get(ref=f"reply:{pk}", user__email=LEGAL, open=True)
    assert notice.kind == "legal" and notice.waits
    assert notice.title == (
        "A reply to a 2★ Google Business Profile review, which legal sent back, has a new "
        "version waiting for your legal review (version 2)" + _due(clinic_a, review)
    )
    assert notice.url == f"/clinics/{clinic_a.slug}/portal/review/#card-reply-{pk}"
    [mail] = [m for m in mailoutbox if m.to == [LEGAL]]
    assert f"A Legal (legal) sent version 1 back: “{KEEP}”" in mail.body

    # and legal's card shows their comment and what changed since the version they sent back
    legal = login("a_legal")
    card = legal.get(f"/clinics/{clinic_a.slug}/portal/review/").content.decode()
    assert "Legal sent version 1 back, keeping the privacy block" in card
    assert KEEP in card
    assert "What changed since version 1, the one legal sent back" in card
    assert '<del><span class="sr-only">removed: </span>' in card

    # separation of duties: the agency's approver cannot give the legal step too
    refused = as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/")
    assert refused.status_code == 403
    with capture(execute=True):
        assert _act(legal, clinic_a, "reply", pk, "pending_legal", 2).status_code in (200, 302)
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).status == "pending_client"
    # nobody gives two steps: legal cannot give the clinic's approval of the version either
    assert as_user("a_legal", clinic_a).post(f"drafts/{pk}/approve/").status_code == 403

    # and the clinic's approver reads on the card how it got here: legal sent version 1 back
    # (with its comment and when), and approved this version
    page = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/")
    html = page.content.decode()
    assert "<strong>Legal sent version 1 back, keeping the privacy block</strong>: A Legal" in html
    assert f"— “{KEEP}”" in html
    assert "<strong>Legal approval</strong>: A Legal" in html


def test_a_reply_legal_rejected_at_the_legal_step_goes_to_legal_again(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": TONE_TEXT})
    pk = pk.json()["id"]
    assert writer.post(f"drafts/{pk}/submit/").json()["status"] == "pending_agency"
    as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/")
    mailoutbox.clear()
    with capture(execute=True):
        rejected = as_user("a_legal", clinic_a).post(f"drafts/{pk}/reject/", {"comment": NO})
    assert rejected.json()["status"] == "changes_requested"
    assert Notification.objects.get(ref=f"reply:{pk}:sent_back").user.email == WRITER
    [mail] = mailoutbox
    assert (
        f"A Legal asks: “{NO}” Legal sent this back: your next version goes to legal again."
    ) in mail.body

    # the writer's clean version 2 still goes to legal
    writer.patch(f"drafts/{pk}/", {"text": OK_TEXT})
    assert writer.post(f"drafts/{pk}/submit/").json()["status"] == "pending_agency"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=pk).route == ["agency", "legal", "client"]


def test_discarding_a_reply_legal_sent_back_and_starting_again_still_goes_to_legal(
    clinic_a, world, as_user, login, django_capture_on_commit_callbacks
):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    assert _keep_block(login, clinic_a, "reply", pk, 1).status_code == 302
    assert writer.post(f"drafts/{pk}/discard/").status_code == 200

    # a new reply to the same review, clean, goes to legal too
    new = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    assert writer.post(f"drafts/{new}/submit/").json()["status"] == "pending_agency"
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=new).route == ["agency", "legal", "client"]

    # and so does a batch answering that review (once the new reply is discarded too)
    other = review_in(clinic_a)
    writer.post(f"drafts/{new}/discard/")
    bid = writer.post(
        "reply-batches/", {"review_ids": [review.pk, other.pk], "text": CLEAN_BATCH}
    ).json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/").json()["status"] == "pending_agency"
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).route == ["agency", "legal", "client"]


def test_a_batch_legal_sent_back_goes_to_legal_again_and_legal_is_told(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cluster_id, _ids = _claim(clinic_a, 3)
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    page_url = f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"
    with capture(execute=True):
        writer.client.post(page_url, {"action": "submit", "text": BLOCK_TEXT,
                                      "expected_version": 1})  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).is_legal_asked
    with capture(execute=True):
        assert _keep_block(login, clinic_a, "batch", bid, 2).status_code == 302
    page = writer.client.get(page_url).content.decode()
    assert "legal was asked to lift the block" not in page
    mailoutbox.clear()

    # a clean version 3, submitted: after the agency it waits for legal, who is told
    with capture(execute=True):
        writer.client.post(page_url, {"action": "save", "text": CLEAN_BATCH,
                                      "expected_version": 2})  # fmt: skip
        submitted = writer.post(f"reply-batches/{bid}/submit/").json()
    assert submitted["status"] == "pending_agency"
    with capture(execute=True):
        approved = as_user("alpha_manager", clinic_a).post(
            f"reply-batches/{bid}/approve/", {"expected_version": 3}
        )
    assert approved.json()["status"] == "pending_legal"
    notice = Notification.objects.get(ref=f"reply_batch:{bid}", user__email=LEGAL, open=True)
    assert "which legal sent back, has a new version waiting for your legal review" in (
        notice.title
    )
    [mail] = [m for m in mailoutbox if m.to == [LEGAL]]
    assert f"A Legal (legal) sent version 2 back: “{KEEP}”" in mail.body
    card = login("a_legal").get(f"/clinics/{clinic_a.slug}/portal/review/").content.decode()
    assert "Legal sent version 2 back, keeping the privacy block" in card
    with schema_context(clinic_a.schema_name):
        assert set(ReplyDraft.objects.filter(batch_id=bid).values_list("status", flat=True)) == {
            "pending_legal"
        }


def test_a_refusal_names_what_the_role_does_not_allow_in_words(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": BLOCK_TEXT})
    refused = writer.post(f"drafts/{pk.json()['id']}/override/", {"reason": "It is fine really."})
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Your role in this clinic does not allow you to lift a privacy block (legal).",
        "code": "permission_denied",
    }


def test_legal_reads_as_legal_in_the_log_also_where_recorded_as_a_viewer():
    # one rule (`clinics.access`): a viewer holding crisis roles is those roles; decisions
    # recorded before read the same
    assert role_words_shown("viewer (Legal / compliance)") == "Legal / compliance"
    assert role_words_shown("approver (Comms / PR)") == "approver (Comms / PR)"
    assert role_words_shown("manager") == "manager"


def _batch_sent_back(clinic, as_user, login, how: str) -> tuple[list[int], int]:
    """A batch of two mentions sent back (`how`): legal kept its block ("kept"), legal
    rejected it at the legal step ("legal"), the agency rejected it ("agency"); then
    discarded. (review ids, the batch's id)."""
    _cluster, ids = _claim(clinic, 2)
    writer = as_user("alpha_writer", clinic)
    text = BLOCK_TEXT if how == "kept" else TONE_TEXT
    bid = writer.post("reply-batches/", {"review_ids": ids, "text": text}).json()["id"]
    writer.post(f"reply-batches/{bid}/submit/")
    if how == "kept":
        assert _keep_block(login, clinic, "batch", bid, 1).status_code == 302
    else:
        step = "pending_agency" if how == "agency" else "pending_legal"
        if how == "legal":
            approved = as_user("alpha_manager", clinic).post(
                f"reply-batches/{bid}/approve/", {"expected_version": 1}
            )
            assert approved.json()["status"] == step
        who = "alpha_manager" if how == "agency" else "a_legal"
        rejected = as_user(who, clinic).post(
            f"reply-batches/{bid}/reject/", {"comment": NO, "expected_version": 1}
        )
        assert rejected.json()["status"] == "changes_requested", rejected.json()
    assert writer.post(f"reply-batches/{bid}/discard/").status_code == 200
    return ids, bid


def _route_alone(as_user, clinic, review_id: int) -> list[str]:
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_id, "text": OK_TEXT}).json()["id"]
    assert writer.post(f"drafts/{pk}/submit/").json()["status"] == "pending_agency"
    with schema_context(clinic.schema_name):
        return ReplyDraft.objects.get(pk=pk).route


def _route_in_batch(as_user, clinic, review_ids: list[int]) -> list[str]:
    writer = as_user("alpha_writer", clinic)
    bid = writer.post("reply-batches/", {"review_ids": review_ids, "text": CLEAN_BATCH})
    bid = bid.json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/").json()["status"] == "pending_agency"
    with schema_context(clinic.schema_name):
        return ReplyBatch.objects.get(pk=bid).route


@pytest.mark.parametrize("how", ["kept", "legal"], ids=["legal-kept-the-block", "legal-rejected"])
def test_a_reply_alone_to_a_mention_of_a_batch_legal_sent_back_goes_to_legal(
    clinic_a, world, as_user, login, how
):
    # given legal sent a batch back, and its writer discarded it
    ids, _bid = _batch_sent_back(clinic_a, as_user, login, how)

    # when she answers one of its mentions alone, with a text the privacy check passes
    # then legal is asked all the same
    assert _route_alone(as_user, clinic_a, ids[0]) == ["agency", "legal", "client"]


@pytest.mark.parametrize("how", ["kept", "legal"], ids=["legal-kept-the-block", "legal-rejected"])
def test_a_new_batch_holding_a_mention_of_a_batch_legal_sent_back_goes_to_legal(
    clinic_a, world, as_user, login, how
):
    ids, _bid = _batch_sent_back(clinic_a, as_user, login, how)
    other = review_in(clinic_a)

    # one mention of the batch legal sent back, one never sent back: the batch goes to legal
    assert _route_in_batch(as_user, clinic_a, [ids[1], other.pk]) == [
        "agency", "legal", "client",
    ]  # fmt: skip


def test_a_batch_the_agency_sent_back_binds_nobody_to_legal(clinic_a, world, as_user, login):
    ids, _bid = _batch_sent_back(clinic_a, as_user, login, "agency")

    assert _route_alone(as_user, clinic_a, ids[0]) == ["agency", "client"]
    assert _route_in_batch(as_user, clinic_a, [ids[1]]) == ["agency", "client"]


def test_the_trail_of_each_reply_of_a_batch_says_at_which_step_it_was_sent_back(
    clinic_a, world, as_user, login
):
    ids, bid = _batch_sent_back(clinic_a, as_user, login, "legal")
    with schema_context(clinic_a.schema_name):
        members = AuditEntry.objects.filter(action="batch_rejected", review_id__in=ids)
        assert sorted(e.review_id for e in members) == sorted(ids)
        assert {(e.detail["step"], e.detail["batch_id"]) for e in members} == {("legal", bid)}
