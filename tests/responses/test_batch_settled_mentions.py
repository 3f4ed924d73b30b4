"""One answer for many mentions, some of them settled after it was written (resolved or set
aside from the inbox, taken down): the replies to those are withdrawn from the batch (each
with the reason in its trail, listed as withdrawn on the batch's page; the batch's trail says
how many and why; its approvers' notices and cards count what it answers now) and the others
go on, the version and the approvals given unchanged. Once every mention is settled the batch
itself is withdrawn. Publishing never sends a reply to a settled mention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.models import Review
from responses.models import AuditEntry, OutboxItem, ReplyBatch, ReplyBatchVersion, ReplyDraft
from responses.services.workflow import principals_who_acted
from tests.responses.conftest import OK_TEXT, review_in

INBOX = "/clinics/clinic-a/inbox/"
WHY = "The review was resolved in bulk from the inbox by Alpha Manager."


def _batch(clinic, as_user, n: int = 3, *, submit: bool = True) -> tuple[int, list[int]]:
    """The writer's one reply to `n` new reviews, submitted: (batch id, review ids)."""
    reviews = [review_in(clinic) for _ in range(n)]
    writer = as_user("alpha_writer", clinic)
    created = writer.post(
        "reply-batches/", {"review_ids": [r.pk for r in reviews], "text": OK_TEXT}
    )
    assert created.status_code == 201, created.json()
    bid = created.json()["id"]
    if submit:
        assert writer.post(f"reply-batches/{bid}/submit/").status_code == 200
    return bid, [r.pk for r in reviews]


def _due(clinic, review_ids) -> str:
    """What a "waits for you" title ends with: the first deadline of the batch's mentions
    (their reply target; Clinic A is in UTC)."""
    with schema_context(clinic.schema_name):
        first = min(Review.objects.filter(pk__in=review_ids).values_list("published_at", flat=True))
    due = first + timedelta(minutes=clinic.reply_target_minutes)
    return f" — reply due {due:%a %-d %b %Y, %H:%M} UTC"


def _members(clinic, bid: int) -> dict[int, str]:
    """review id → its reply's status."""
    with schema_context(clinic.schema_name):
        return dict(ReplyDraft.objects.filter(batch_id=bid).values_list("review_id", "status"))


def test_a_mention_resolved_while_the_batch_waits_is_withdrawn_and_the_others_go_on(
    clinic_a, as_user, login, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given a batch of three mentions, approved by the agency, waiting for the clinic
    bid, (settled, *others) = _batch(clinic_a, as_user)
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 1}).status_code == 200
    ref = f"reply_batch:{bid}"
    [waiting] = Notification.objects.filter(ref=ref, open=True)
    assert waiting.user == world.users["a_approver"]
    due = _due(clinic_a, [settled, *others])
    assert waiting.title == "One reply to 3 mentions waits for your clinic approval" + due

    # when the agency's manager resolves one of them (and another review) in bulk
    with django_capture_on_commit_callbacks(execute=True):
        done = login("alpha_manager").post(
            INBOX, {"review": [settled, review_in(clinic_a).pk], "status": "resolved"}
        )
    assert done.status_code == 302

    # then its reply is withdrawn from the batch with the reason; the other two wait on
    assert _members(clinic_a, bid) == {
        settled: "discarded",
        others[0]: "pending_client",
        others[1]: "pending_client",
    }
    with schema_context(clinic_a.schema_name):
        batch = ReplyBatch.objects.get(pk=bid)
        [member] = AuditEntry.objects.filter(object_type="reply", action="batch_withdrawn")
        [line] = AuditEntry.objects.filter(object_type="reply_batch", object_id=bid,
                                           action="mentions_withdrawn")  # fmt: skip
        # the batch keeps its version, its step and the approval the agency gave
        assert (batch.status, batch.version) == ("pending_client", 1)
        assert ReplyBatchVersion.objects.filter(batch=batch).count() == 1
        assert f"user:{world.users['alpha_manager'].pk}" in principals_who_acted(
            object_type="reply_batch", obj=batch
        )
    assert (member.review_id, member.comment, member.actor_name) == (settled, WHY, "Alpha Manager")
    assert line.comment == (
        "1 of its 3 mentions was withdrawn: its review was resolved in bulk from the inbox by "
        "Alpha Manager. The approvals given stand for the other 2."
    )
    assert (line.from_status, line.to_status, line.detail["step"]) == (
        "pending_client",
        "pending_client",
        "client",
    )
    # nothing was withdrawn from the approvals log's point of view: the batch was not
    with schema_context(clinic_a.schema_name):
        assert not AuditEntry.objects.filter(object_type="reply_batch", action="withdrawn").exists()
    # the approver's notice counts what the batch answers now, without telling them again
    waiting.refresh_from_db()
    assert (waiting.open, waiting.title) == (
        True,
        "One reply to 2 mentions waits for your clinic approval" + due,
    )
    assert not [m for m in mailoutbox if m.to == ["a_approver@clinics.test"]]

    # the batch's page lists the mention as withdrawn, with the reason
    page = login("alpha_writer").get(f"/clinics/clinic-a/replies/batches/{bid}/").content.decode()
    assert f'<tr id="item-{settled}" data-state="withdrawn">' in page
    assert f'<span class="muted why">{WHY}</span>' in page
    assert '<span class="pill state-withdrawn" data-state="withdrawn">1 withdrawn</span>' in page
    assert "<h1>One reply to 2 mentions</h1>" in page
    # and so does the API
    detail = as_user("alpha_writer", clinic_a).get(f"reply-batches/{bid}/").json()
    assert [(i["review_id"], i["state"], i["why"]) for i in detail["items"]
            if i["state"] == "withdrawn"] == [(settled, "withdrawn", WHY)]  # fmt: skip
    assert detail["tally"]["withdrawn"] == 1
    # the clinic's approver sees the count and why on the card they approve
    card = login("a_approver").get("/clinics/clinic-a/portal/approvals/").content.decode()
    assert (
        "1 of the mentions this version answered was withdrawn from it since, its review "
        "settled: no reply goes to it. The approvals given stand for the other 2." in card
    )
    assert f"Sam R. on Google Business Profile: {WHY}" in card
    assert "One reply to 2 mentions" in card

    # when the clinic approves the version it read, only the two others are queued
    approved = as_user("a_approver", clinic_a).post(
        f"reply-batches/{bid}/approve/", {"expected_version": 1}
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    with schema_context(clinic_a.schema_name):
        queued_for = set(
            OutboxItem.objects.filter(draft__batch_id=bid).values_list("review_id", flat=True)
        )
    assert queued_for == set(others)
    assert _members(clinic_a, bid)[settled] == "discarded"


def test_once_every_mention_is_settled_the_batch_is_withdrawn_and_lists_each_reason(
    clinic_a, as_user, login
):
    bid, review_ids = _batch(clinic_a, as_user, 2)
    manager = login("alpha_manager")
    manager.post(INBOX, {"review": [review_ids[0]], "status": "ignored"})
    assert set(_members(clinic_a, bid).values()) == {"discarded", "pending_agency"}

    manager.post(INBOX, {"review": [review_ids[1]], "status": "resolved"})

    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "discarded"
    items = as_user("alpha_writer", clinic_a).get(f"reply-batches/{bid}/").json()["items"]
    assert sorted((i["review_id"], i["state"], i["why"]) for i in items) == [
        (review_ids[0], "withdrawn", "The review was set aside from the inbox by Alpha Manager."),
        (review_ids[1], "withdrawn", "Every mention it answered was settled, the last resolved "
         "from the inbox by Alpha Manager."),
    ]  # fmt: skip
    assert not Notification.objects.filter(ref=f"reply_batch:{bid}", open=True).exists()


def test_a_mention_settled_before_submission_is_left_out_when_the_batch_is_submitted(
    clinic_a, as_user, login
):
    bid, review_ids = _batch(clinic_a, as_user, 3, submit=False)
    login("alpha_manager").post(INBOX, {"review": [review_ids[0]], "status": "ignored"})
    # a draft waits for nobody: nothing is withdrawn yet
    assert set(_members(clinic_a, bid).values()) == {"draft"}

    submitted = as_user("alpha_writer", clinic_a).post(f"reply-batches/{bid}/submit/")

    assert submitted.status_code == 200, submitted.json()
    assert _members(clinic_a, bid) == {
        review_ids[0]: "discarded", review_ids[1]: "pending_agency",
        review_ids[2]: "pending_agency",
    }  # fmt: skip
    with schema_context(clinic_a.schema_name):
        [line] = AuditEntry.objects.filter(object_id=bid, action="mentions_withdrawn")
    assert (line.actor_name, line.comment) == (
        "Carewatch",
        "1 of its 3 mentions was withdrawn: its review was set aside. The approvals given "
        "stand for the other 2.",
    )
    assert Notification.objects.get(
        ref=f"reply_batch:{bid}", user__email="owner@alpha.test"
    ).title == (
        "One reply to 2 mentions waits for your agency approval" + _due(clinic_a, review_ids[1:])
    )


def test_submitting_a_batch_whose_every_mention_was_settled_is_refused_and_changes_nothing(
    clinic_a, as_user, login
):
    bid, review_ids = _batch(clinic_a, as_user, 2, submit=False)
    login("alpha_manager").post(INBOX, {"review": review_ids, "status": "resolved"})

    refused = as_user("alpha_writer", clinic_a).post(f"reply-batches/{bid}/submit/")

    assert refused.status_code == 409
    assert refused.json()["code"] == "mentions_settled"
    assert set(_members(clinic_a, bid).values()) == {"draft"}
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=bid).status == "draft"
        assert not AuditEntry.objects.filter(object_id=bid, action="mentions_withdrawn").exists()
    assert not Notification.objects.filter(ref=f"reply_batch:{bid}").exists()


def test_the_last_approval_never_queues_a_reply_to_a_mention_settled_meanwhile(clinic_a, as_user):
    # given a batch waiting for the clinic, one of whose reviews was resolved by a path that
    # did not go through the settling service
    bid, review_ids = _batch(clinic_a, as_user, 2)
    as_user("alpha_manager", clinic_a).post(
        f"reply-batches/{bid}/approve/", {"expected_version": 1}
    )
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review_ids[0]).update(status="resolved")

    approved = as_user("a_approver", clinic_a).post(
        f"reply-batches/{bid}/approve/", {"expected_version": 1}
    )

    assert approved.json()["status"] == "approved"
    with schema_context(clinic_a.schema_name):
        assert list(
            OutboxItem.objects.filter(draft__batch_id=bid).values_list("review_id", flat=True)
        ) == [review_ids[1]]
        [member] = AuditEntry.objects.filter(review_id=review_ids[0], action="batch_withdrawn")
    assert (member.comment, member.actor_name) == ("The review was resolved.", "Carewatch")
    assert _members(clinic_a, bid)[review_ids[0]] == "discarded"


@pytest.mark.parametrize("change", ["edit", "take_out"])
def test_a_withdrawn_mention_stays_out_when_the_batch_is_edited_or_another_taken_out(
    clinic_a, as_user, login, change
):
    bid, review_ids = _batch(clinic_a, as_user, 3)
    login("alpha_manager").post(INBOX, {"review": [review_ids[0]], "status": "resolved"})
    writer = as_user("alpha_writer", clinic_a)

    if change == "edit":
        done = writer.patch(f"reply-batches/{bid}/", {"text": OK_TEXT + " Thank you."})
        left = review_ids[1:]
    else:
        done = writer.client.delete(writer.url(f"reply-batches/{bid}/mentions/{review_ids[1]}/"))
        left = review_ids[2:]

    assert done.status_code == 200, done.content
    with schema_context(clinic_a.schema_name):
        version = ReplyBatchVersion.objects.get(batch_id=bid, number=2)
        # no new reply for the settled mention, and the new version does not answer it
        assert ReplyDraft.objects.filter(review_id=review_ids[0]).count() == 1
    assert version.review_ids == left
    # a withdrawn mention cannot be taken out again
    gone = writer.client.delete(writer.url(f"reply-batches/{bid}/mentions/{review_ids[0]}/"))
    assert gone.status_code == 404
