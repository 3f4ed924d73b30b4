"""Publishing through the outbox against the fake platforms: exactly once (also with two
workers at once), retries with the platform's message, the by-hand path for platforms that
cannot take replies, the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review
from responses.models import AuditEntry, OutboxItem, ReplyDraft, ResponseSettings
from responses.tasks import outbox_deliver_task, outbox_sweep_task
from tests.fixtures.tenants import otp_verify_session
from tests.fixtures.threads import race as _race
from tests.responses.conftest import OK_TEXT, Api, approved_reply, deliver_in, review_in


def test_platform_failure_is_shown_with_its_message_and_retried(platforms, clinic_a, as_user):
    # given an approved reply and Google failing once
    review = review_in(clinic_a, fake=platforms)
    draft = approved_reply(clinic_a, as_user, review)
    item_id = draft["outbox"][0]["id"]
    platforms.fail(1, status=503, platform="google", method="PUT", message="Backend Error")

    # when it is delivered
    assert deliver_in(clinic_a, item_id) == "retry"

    # then the platform's own message is visible, and a retry is scheduled
    writer = as_user("alpha_writer", clinic_a)
    item = writer.get(f"outbox/{item_id}/").json()
    assert (item["status"], item["attempts"], item["last_error"]) == ("pending", 1, "Backend Error")
    wait = timezone.datetime.fromisoformat(item["next_attempt_at"]) - timezone.now()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
    # not before it is due
    assert deliver_in(clinic_a, item_id) == "skipped"
    # and when due, it goes through
    assert deliver_in(clinic_a, item_id, now=timezone.now() + timedelta(minutes=1)) == "sent"
    puts = platforms.requests_for("google", method="PUT")
    assert [p.status for p in puts] == [503, 200]
    assert writer.get(f"drafts/{draft['id']}/").json()["status"] == "published"
    with schema_context(clinic_a.schema_name):
        failures = AuditEntry.objects.filter(object_type="outbox", action="send_failed")
        assert [(f.comment, f.detail["retry"]) for f in failures] == [("Backend Error", True)]


def test_a_refusal_fails_at_once_and_a_person_retries(platforms, clinic_a, as_user):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["outbox"][0]["id"]
    platforms.fail(
        1, status=400, platform="google", message="Request contains an invalid argument."
    )
    assert deliver_in(clinic_a, item_id) == "failed"
    writer = as_user("alpha_writer", clinic_a)
    listed = writer.get("outbox/", status="failed").json()["results"]
    assert [(i["id"], i["last_error"]) for i in listed] == [
        (item_id, "Request contains an invalid argument.")
    ]
    # the outbox page shows it too
    page = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert "Google Business Profile said: Request contains an invalid argument." in page
    assert "Fix what Google Business Profile names, then retry." in page
    # a viewer may not retry; the writer may
    assert as_user("a_viewer", clinic_a).post(f"outbox/{item_id}/retry/").status_code == 403
    assert writer.post(f"outbox/{item_id}/retry/").json()["status"] == "pending"
    assert deliver_in(clinic_a, item_id) == "sent"


def test_expired_credentials_fail_with_the_reason(platforms, clinic_a, as_user):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["outbox"][0]["id"]
    platforms.expire_token("google")
    assert deliver_in(clinic_a, item_id) == "failed"
    with schema_context(clinic_a.schema_name):
        assert "invalid authentication credentials" in OutboxItem.objects.get(pk=item_id).last_error


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("yelp", "Yelp Fusion is read-only"), ("csv", "CSV import has no publishing connector")],
    ids=["yelp", "csv-import"],
)
def test_platforms_without_replies_go_by_hand_and_are_marked_done(
    kind, reason, platforms, clinic_a, as_user
):
    # given an approved reply to a review on a platform that cannot take replies
    review = review_in(clinic_a, kind, fake=platforms)
    draft = approved_reply(clinic_a, as_user, review)
    item_id = draft["outbox"][0]["id"]
    writer = as_user("alpha_writer", clinic_a)
    item = writer.get(f"outbox/{item_id}/").json()
    assert item["status"] == "manual"
    assert item["manual_reason"].startswith(reason)
    assert item["text"] == OK_TEXT
    # the worker leaves it alone and nothing reaches a platform
    assert deliver_in(clinic_a, item_id) == "skipped"
    assert platforms.writes() == []
    # the outbox page offers it to copy, with the form to mark it posted
    page = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert "To post by hand (1)" in page and "I posted it by hand" in page

    # when a person posts it and marks it posted
    done = writer.post(
        f"outbox/{item_id}/mark-posted/",
        {"url": "https://www.yelp.com/biz/x?hrid=1", "note": "Posted from Yelp for Business"},
    )

    # then the reply is published, once
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["done_by_name"]) == (
        "posted_by_hand",
        "Alpha Writer",
    )
    assert writer.get(f"drafts/{draft['id']}/").json()["status"] == "published"
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == "replied"
    again = writer.post(f"outbox/{item_id}/mark-posted/")
    assert again.status_code == 409


def test_the_text_is_checked_again_before_sending(platforms, clinic_a, as_user):
    # given an approved reply, then the clinic no longer allows the name it uses
    review = review_in(clinic_a, fake=platforms)
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.update_or_create(pk=1, defaults={"staff_names": ["Dana Rivera"]})
    writer = as_user("alpha_writer", clinic_a)
    text = "Thank you for the feedback. Dana Rivera will call you at +1 555 0100."
    draft = writer.post("drafts/", {"review_id": review.pk, "text": text}).json()
    assert draft["guard"]["verdict"] == "ok"
    writer.post(f"drafts/{draft['id']}/submit/")
    as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")
    item_id = (
        as_user("a_approver", clinic_a)
        .post(f"drafts/{draft['id']}/approve/")
        .json()["outbox"][0]["id"]
    )
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.filter(pk=1).update(staff_names=[])
    # when it is delivered, the guard stops it: nothing is sent
    assert deliver_in(clinic_a, item_id) == "failed"
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(pk=item_id)
    assert item.last_error.startswith("The guard blocks this text (“Dana Rivera”")
    assert platforms.writes("google") == []


def test_sweeper_queues_due_items_of_every_clinic(platforms, clinic_a, as_user, monkeypatch):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["outbox"][0]["id"]
    queued = []

    def record(args, countdown=None, **kw):
        queued.append((connection.schema_name, args[0]))

    monkeypatch.setattr(outbox_deliver_task, "apply_async", record)
    assert outbox_sweep_task() == 1
    assert queued == [(clinic_a.schema_name, item_id)]
    assert connection.schema_name == "public"


# --- two at once (committed rows, one connection per thread) ----------------------------------


def _api(world, name, clinic) -> Api:
    client = Client()
    client.force_login(world.users[name])
    otp_verify_session(client, world.users[name])
    return Api(client, clinic)


def test_two_approvers_at_once_one_wins_the_other_gets_409(world, committed_clinic, monkeypatch):
    # given a draft waiting for the agency's approval, and two managers who may give it
    clinic = committed_clinic
    review = review_in(clinic)
    writer = _api(world, "alpha_writer", clinic)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    body = {"expected_status": "pending_agency", "expected_version": 1}
    managers = [_api(world, name, clinic) for name in ("alpha_manager", "alpha_owner")]

    # when both approve at the same moment
    responses = _race(*[lambda m=m: m.post(f"drafts/{draft_id}/approve/", body) for m in managers])

    # then one wins, the other is told someone acted first
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "stale"
    with schema_context(clinic.schema_name):
        assert ReplyDraft.objects.get(pk=draft_id).status == "pending_client"
        approvals = AuditEntry.objects.filter(object_id=draft_id, action="approved").count()
    assert approvals == 1


def test_two_workers_delivering_at_once_post_once(world, committed_clinic, platforms, monkeypatch):
    # given an approved reply (its delivery task is not queued: the workers are the threads)
    clinic = committed_clinic
    monkeypatch.setattr(outbox_deliver_task, "apply_async", lambda *a, **k: None)
    review = review_in(clinic, fake=platforms)
    writer = _api(world, "alpha_writer", clinic)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    _api(world, "alpha_manager", clinic).post(f"drafts/{draft_id}/approve/")
    approved = _api(world, "a_approver", clinic).post(f"drafts/{draft_id}/approve/").json()
    item_id = approved["outbox"][0]["id"]
    platforms.delay(1, seconds=0.5, platform="google", method="PUT")  # a slow platform

    # when two workers run the delivery task at the same moment, and a third one later
    def deliver():
        with schema_context(clinic.schema_name):
            return outbox_deliver_task(item_id)

    results = _race(deliver, deliver)
    results.append(deliver())

    # then exactly one PUT reached Google
    assert sorted(results) == ["sent", "skipped", "skipped"]
    assert len(platforms.requests_for("google", method="PUT")) == 1
    with schema_context(clinic.schema_name):
        assert ReplyDraft.objects.get(pk=draft_id).status == "published"
        assert AuditEntry.objects.filter(object_id=draft_id, action="published").count() == 1
