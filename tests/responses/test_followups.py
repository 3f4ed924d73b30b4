"""Private follow-up that reaches the person: the invitation on Facebook (Messenger), by e-mail
and by SMS where the person consented, the public reply where nothing private reaches them;
the answers threaded in through each platform's signed webhook; owner, due date, status and
outcome; the review's status; the owner told; bad input refused with nothing stored. The
platforms are the local fakes (tests/feeds/fake_platforms.py) over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from feeds.models import ItemKind, Review, ReviewStatus, Source
from feeds.services import source_create
from responses.models import (
    AuditEntry,
    ContactConsent,
    FollowUpMessage,
    PrivateConversation,
    ReplyDraft,
)
from responses.services import messaging
from responses.services.private import followups_sweep
from tests.feeds import fake_platforms as fp
from tests.responses.conftest import BLOCK_TEXT, review_in

pytestmark = pytest.mark.django_db
INBOUND = "inbound-mail-signing-key"


def facebook_comment(clinic, fake, *, text="The wait was terrible and nobody called back."):
    """A Facebook comment on the page, known to the fake, stored as a review of the clinic's
    Facebook source (with the app secret, which signs Messenger's webhooks)."""
    post = fake.add_facebook_post("Our new opening hours", by_page=True)
    comment_id = fake.add_facebook_comments(post, 1, text=text)[0]
    with schema_context(clinic.schema_name):
        source = Source.objects.filter(kind="facebook").first() or source_create(
            kind="facebook",
            name="Facebook page",
            settings=fake.settings("facebook"),
            credentials={**fake.credentials("facebook"), "app_secret": fp.FACEBOOK_APP_SECRET},
        )
        review = Review.objects.create(
            source=source,
            external_id=comment_id,
            kind=ItemKind.COMMENT,
            author_name="Commenter",
            text=text,
            published_at=timezone.now() - timedelta(hours=3),
        )
    return review, source, fake.fb_comments[comment_id]["from"]["id"] + "99"


def counts(clinic) -> tuple[int, int, int]:
    with schema_context(clinic.schema_name):
        return (
            PrivateConversation.objects.count(),
            FollowUpMessage.objects.count(),
            ReplyDraft.objects.count(),
        )


def hook(clinic, path: str, body: bytes, headers: dict):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    content_type = headers.get("Content-Type", "application/json")
    return Client().post(f"/hooks/{clinic.slug}/{path}", body, content_type=content_type, **extra)


def test_facebook_follow_up_is_sent_answered_and_resolved(
    clinic_a, as_user, platforms, world, django_capture_on_commit_callbacks
):
    # given a Facebook comment and a writer
    review, source, psid = facebook_comment(clinic_a, platforms)
    writer = as_user("alpha_writer", clinic_a)
    wrong = writer.post(f"reviews/{review.pk}/private-conversations/", {"channel": "email"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "channel_unavailable"
    assert wrong.json()["detail"].endswith("Use Facebook private message instead.")
    channels = writer.get(f"reviews/{review.pk}/follow-up-channels/").json()["results"]
    assert [(c["channel"], c["available"]) for c in channels] == [
        ("facebook", True), ("email", False), ("sms", False), ("public_reply", True),
    ]  # fmt: skip

    # when the follow-up starts on the best private channel
    started = writer.post(f"reviews/{review.pk}/private-conversations/", {})

    # then the invitation went out as Messenger's private reply to the comment
    assert started.status_code == 201, started.json()
    body = started.json()
    assert (body["channel"], body["status"]) == ("facebook", "invited")
    assert body["owner_name"] == "Alpha Writer" and body["due_at"]
    [sent] = platforms.requests_for("facebook", "POST", path="/messages")
    assert sent.json["recipient"] == {"comment_id": review.external_id}
    assert sent.json["message"]["text"].startswith("Hello, this is the team at Clinic A.")
    assert [m["status"] for m in body["messages"]] == ["sent"]
    assert body["messages"][0]["guard_verdict"] == "ok"
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_FOLLOW_UP
        assert PrivateConversation.objects.get().recipient_id == psid

    # the page cannot write again before the person answers (Messenger's rules)
    early = writer.post(f"private-conversations/{body['id']}/messages/", {"text": "Hello?"})
    assert early.status_code == 409 and early.json()["code"] == "awaiting_answer"

    # when the person answers on Messenger (the fake's signed webhook)
    payload, headers = platforms.facebook_person_writes(psid, "Thanks. Call me after 5 please.")
    path = f"{source.pk}/messenger/"
    with django_capture_on_commit_callbacks(execute=True):
        answer = hook(clinic_a, path, payload, headers)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"threaded": 1, "ignored": 0}
    # a redelivery of the same message is not threaded twice
    assert hook(clinic_a, path, payload, headers).json() == {"threaded": 0, "ignored": 1}

    # then it is in the thread, the follow-up is replied, and the owner was told
    detail = writer.get(f"private-conversations/{body['id']}/").json()
    assert detail["status"] == "replied"
    assert [(m["direction"], m["text"]) for m in detail["messages"]][-1] == (
        "in",
        "Thanks. Call me after 5 please.",
    )
    told = Notification.objects.get(user=world.users["alpha_writer"], kind="follow_up_answer")
    assert told.url == f"/clinics/{clinic_a.slug}/follow-ups/{body['id']}/" and told.open
    assert [m.to for m in mail.outbox] == [["writer@alpha.test"]]
    assert "answered your private follow-up" in mail.outbox[0].subject

    # and the page can write again within Messenger's window
    again = writer.post(
        f"private-conversations/{body['id']}/messages/", {"text": "Thank you, we will call."}
    )
    assert again.status_code == 201 and again.json()["status"] == "sent"
    assert platforms.requests_for("facebook", "POST", path="/messages")[-1].json["recipient"] == {
        "id": psid
    }

    # when the outcome is set, the follow-up and the review are resolved
    done = writer.patch(
        f"private-conversations/{body['id']}/",
        {"outcome": "solved", "outcome_note": "Called back; the bill was corrected."},
    )
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["outcome"]) == ("resolved", "solved")
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.RESOLVED
        actions = list(
            AuditEntry.objects.filter(object_type="private_conversation")
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert actions == ["opened", "invitation_sent", "answered", "message_sent", "resolved"]
    told.refresh_from_db()
    assert not told.open  # resolving closes the owner's message


def test_messenger_webhook_refuses_a_bad_signature_and_answers_the_handshake(
    clinic_a, as_user, platforms
):
    review, source, psid = facebook_comment(clinic_a, platforms)
    as_user("alpha_writer", clinic_a).post(f"reviews/{review.pk}/private-conversations/", {})
    payload, headers = platforms.facebook_person_writes(psid, "hello")
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    refused = hook(clinic_a, f"{source.pk}/messenger/", payload, forged)
    assert refused.status_code == 400 and refused.json()["code"] == "bad_signature"
    with schema_context(clinic_a.schema_name):
        assert FollowUpMessage.objects.filter(direction="in").count() == 0
        token = messaging.messenger_verify_token(source)
    url = f"/hooks/{clinic_a.slug}/{source.pk}/messenger/"
    ok = Client().get(
        url, {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
    )
    assert (ok.status_code, ok.content) == (200, b"42")
    bad = Client().get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


def test_no_private_channel_is_a_400_that_proposes_the_public_reply(clinic_a, as_user, platforms):
    # given a Google review (Google has no private messages) and no consented contact
    review = review_in(clinic_a, "google", fake=platforms)
    writer = as_user("alpha_writer", clinic_a)

    refused = writer.post(f"reviews/{review.pk}/private-conversations/", {})

    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "no_private_channel"
    assert "Propose the public reply" in body["detail"]
    assert "Google Business Profile has no way to message a reviewer privately." in " ".join(
        body["fields"]["channel"]
    )
    [proposal] = body["fields"]["proposal"]
    assert "Please contact our team directly at +1 555 0100" in proposal
    assert counts(clinic_a) == (0, 0, 0)
    assert platforms.writes() == []

    # when the public reply is proposed, it is an ordinary draft for the approval chain
    proposed = writer.post(
        f"reviews/{review.pk}/private-conversations/", {"channel": "public_reply"}
    )
    assert proposed.status_code == 201, proposed.json()
    assert (proposed.json()["channel"], proposed.json()["status"]) == ("public_reply", "open")
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(review=review)
        assert draft.status == "draft" and draft.versions.get().template_key == "move-private"
        assert proposed.json()["reply_draft_id"] == draft.pk
    assert platforms.writes() == []  # nothing public leaves before approval


def test_another_clinics_review_is_404_and_nothing_is_created(clinic_a, clinic_b, as_user):
    other = review_in(clinic_b)
    writer = as_user("alpha_writer", clinic_a)
    answer = writer.post(f"reviews/{other.pk}/private-conversations/", {"channel": "phone"})
    assert answer.status_code == 404
    assert counts(clinic_a) == (0, 0, 0) and counts(clinic_b) == (0, 0, 0)
    with schema_context(clinic_b.schema_name):
        assert Review.objects.get(pk=other.pk).status == ReviewStatus.NEW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"owner_id": "beta_owner"}, "owner_id", id="owner-of-another-agency"),
        pytest.param({"owner_id": "a_viewer"}, "owner_id", id="owner-who-cannot-act"),
        pytest.param({"due_at": "past"}, "due_at", id="due-in-the-past"),
        pytest.param({"due_at": "far"}, "due_at", id="due-beyond-90-days"),
        pytest.param({"due_at": "tomorrow-ish"}, "due_at", id="due-not-a-date"),
    ],
)
def test_invalid_owner_or_due_date_is_a_400_with_nothing_stored(
    clinic_a, as_user, world, platforms, body, field
):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    values = dict(body)
    if "owner_id" in values:
        values["owner_id"] = world.users[values["owner_id"]].pk
    now = timezone.now()
    when = {"past": now - timedelta(hours=1), "far": now + timedelta(days=91)}
    if values.get("due_at") in when:
        values["due_at"] = when[values["due_at"]].isoformat()
    answer = as_user("alpha_writer", clinic_a).post(
        f"reviews/{review.pk}/private-conversations/", values
    )
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["fields"]
    assert counts(clinic_a) == (0, 0, 0)
    assert platforms.writes() == []


def test_a_blocked_invitation_is_never_sent(clinic_a, as_user, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    answer = as_user("alpha_writer", clinic_a).post(
        f"reviews/{review.pk}/private-conversations/", {"text": BLOCK_TEXT}
    )
    assert answer.status_code == 422 and answer.json()["code"] == "guard_blocked"
    assert counts(clinic_a) == (0, 0, 0)
    assert platforms.writes() == []
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.NEW


def test_viewers_cannot_start_a_follow_up_and_one_per_review_is_open(clinic_a, as_user, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    viewer = as_user("a_viewer", clinic_a)
    assert viewer.post(f"reviews/{review.pk}/private-conversations/", {}).status_code == 403
    writer = as_user("alpha_writer", clinic_a)
    assert writer.post(f"reviews/{review.pk}/private-conversations/", {}).status_code == 201
    second = writer.post(f"reviews/{review.pk}/private-conversations/", {"channel": "phone"})
    assert second.status_code == 409 and second.json()["code"] == "follow_up_open"
    assert counts(clinic_a)[0] == 1


def test_email_follow_up_needs_consent_and_threads_the_answer(
    clinic_a, as_user, settings, django_capture_on_commit_callbacks
):
    settings.FOLLOWUP_EMAIL_INBOUND_SECRET = INBOUND
    review = review_in(clinic_a, "google")
    writer = as_user("alpha_writer", clinic_a)
    consent_url = f"reviews/{review.pk}/contact-consents/"
    # a consent needs a real address and how the person agreed
    bad = writer.post(consent_url, {"channel": "email", "address": "nope", "basis": "ok"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"address"}
    bad = writer.post(
        consent_url, {"channel": "email", "address": "sam@example.org", "basis": "ok"}
    )
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"basis"}
    recorded = writer.post(
        consent_url,
        {
            "channel": "email",
            "address": "Sam@Example.org",
            "basis": "Asked us by phone on 3 Dec to write to this address",
        },
    )
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["recorded_by_name"] == "Alpha Writer"
    assert recorded.json()["address"] == "sam@example.org" and recorded.json()["active"]

    started = writer.post(f"reviews/{review.pk}/private-conversations/", {})
    assert started.status_code == 201, started.json()
    conversation = started.json()
    assert (conversation["channel"], conversation["status"]) == ("email", "invited")
    [invite] = mail.outbox
    assert invite.to == ["sam@example.org"]
    assert invite.subject == "Clinic A: following up on your feedback"
    [reply_to] = invite.reply_to
    assert messaging.reply_address_parse(reply_to) == (clinic_a.slug, conversation["id"])

    def signed(payload: dict, key: str = INBOUND):
        body = json.dumps(payload).encode()
        t = int(time.time())
        v1 = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"X-Carewatch-Signature": f"t={t},v1={v1}"}

    answer = {
        "from": "Sam <sam@example.org>",
        "to": reply_to,
        "subject": "Re: Clinic A: following up on your feedback",
        "text": "Tuesday morning works.\n\nOn Tue, Clinic A wrote:\n> Hello,",
        "message_id": "<abc@example.org>",
    }
    assert hook(clinic_a, "email/", *signed(answer, "wrong")).status_code == 400
    stranger = hook(clinic_a, "email/", *signed({**answer, "from": "eve@example.org"}))
    assert stranger.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        ok = hook(clinic_a, "email/", *signed(answer))
    assert ok.status_code == 200 and ok.json()["threaded"] == 1
    detail = writer.get(f"private-conversations/{conversation['id']}/").json()
    assert detail["status"] == "replied"
    assert detail["messages"][-1]["text"] == "Tuesday morning works."

    # withdrawn consent: no more e-mail to the person
    revoked = writer.post(f"contact-consents/{recorded.json()['id']}/revoke/")
    assert revoked.status_code == 200 and not revoked.json()["active"]
    again = writer.post(f"private-conversations/{conversation['id']}/messages/", {"text": "Hi"})
    assert again.status_code == 201 and again.json()["status"] == "failed"
    assert "no longer active" in again.json()["error"]


def test_sms_follow_up_through_twilio_and_its_signed_answer(clinic_a, as_user, platforms, settings):
    settings.TWILIO_ACCOUNT_SID = fp.TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = fp.TWILIO_AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = fp.TWILIO_NUMBER
    settings.TWILIO_API_BASE = platforms.base_url
    review = review_in(clinic_a, "google")
    writer = as_user("alpha_writer", clinic_a)
    writer.post(
        f"reviews/{review.pk}/contact-consents/",
        {"channel": "sms", "address": "+1 (555) 010-0123", "basis": "Texted us first and asked"},
    )
    started = writer.post(f"reviews/{review.pk}/private-conversations/", {"channel": "sms"})
    assert started.status_code == 201, started.json()
    assert started.json()["status"] == "invited"
    [sms] = platforms.sms_sent
    assert (sms["to"], sms["from"]) == ("+15550100123", fp.TWILIO_NUMBER)
    assert sms["body"].startswith("Clinic A: thank you for your feedback.")

    settings.PUBLIC_BASE_URL = "http://testserver"
    platforms.twilio_webhook_url = f"http://testserver/hooks/{clinic_a.slug}/sms/"
    body, headers = platforms.twilio_person_texts("+15550100123", "Yes, call me today")
    platforms.twilio_webhook_url = None
    assert hook(clinic_a, "sms/", body, {**headers, "X-Twilio-Signature": "x"}).status_code == 400
    answer = hook(clinic_a, "sms/", body, headers)
    assert answer.status_code == 200 and b"<Response>" in answer.content
    detail = writer.get(f"private-conversations/{started.json()['id']}/").json()
    assert detail["status"] == "replied"
    assert detail["messages"][-1]["text"] == "Yes, call me today"


def test_a_platform_refusal_leaves_a_failed_message_to_retry(clinic_a, as_user, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    platforms.fail(1, status=500, platform="facebook", method="POST")
    writer = as_user("alpha_writer", clinic_a)
    started = writer.post(f"reviews/{review.pk}/private-conversations/", {})
    assert started.status_code == 201
    body = started.json()
    assert body["status"] == "open"
    [message] = body["messages"]
    assert message["status"] == "failed" and message["error"].startswith("Facebook said:")
    retried = writer.post(f"private-conversations/{body['id']}/messages/{message['id']}/retry/")
    assert retried.status_code == 200 and retried.json()["status"] == "sent"
    assert writer.get(f"private-conversations/{body['id']}/").json()["status"] == "invited"
    again = writer.post(f"private-conversations/{body['id']}/messages/{message['id']}/retry/")
    assert again.status_code == 409


def test_overdue_follow_ups_tell_their_owner_once(clinic_a, as_user, world, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    writer = as_user("alpha_writer", clinic_a)
    manager = world.users["alpha_manager"]
    due = (timezone.now() + timedelta(hours=1)).isoformat()
    started = writer.post(
        f"reviews/{review.pk}/private-conversations/", {"owner_id": manager.pk, "due_at": due}
    ).json()
    assert started["owner_name"] == "Alpha Manager"
    assert Notification.objects.filter(user=manager, kind="follow_up").count() == 1
    later = timezone.now() + timedelta(hours=2)
    with schema_context(clinic_a.schema_name):
        assert followups_sweep(now=timezone.now())["overdue"] == 0
        assert followups_sweep(now=later)["overdue"] == 1
        assert followups_sweep(now=later)["overdue"] == 0
    [overdue] = Notification.objects.filter(user=manager, kind="follow_up_overdue")
    assert overdue.title.startswith("A private follow-up is overdue")
    listed = writer.get("private-conversations/", overdue="true").json()["results"]
    assert listed == []  # the API's clock is now; the row is due in an hour
    assert writer.get("private-conversations/", status="bogus").status_code == 400


def test_phone_follow_up_is_noted_and_needs_an_outcome_to_resolve(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    opened = writer.post(
        f"reviews/{review.pk}/private-conversations/",
        {"channel": "phone", "notes": "Called back; billing fixed."},
    )
    assert opened.status_code == 201
    conversation = opened.json()
    assert (conversation["status"], conversation["channel"]) == ("open", "phone")
    noted = writer.post(
        f"private-conversations/{conversation['id']}/notes/",
        {"text": "Said the bill is fine now.", "from_person": True},
    )
    assert noted.status_code == 201 and noted.json()["status"] == "logged"
    refused = writer.patch(f"private-conversations/{conversation['id']}/", {"status": "resolved"})
    assert refused.status_code == 400 and "outcome" in refused.json()["fields"]
    closed = writer.patch(f"private-conversations/{conversation['id']}/", {"outcome": "no_answer"})
    assert closed.json()["status"] == "no_response" and closed.json()["closed_at"]
    audit = writer.get("audit/", object_type="private_conversation").json()["results"]
    assert [a["action"] for a in audit] == ["no_response", "answer_noted", "opened"]
    assert all("billing" not in json.dumps(a) for a in audit)
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.NEEDS_REPLY
        assert ContactConsent.objects.count() == 0


def test_answers_are_read_from_messenger_when_no_webhook_came(clinic_a, as_user, platforms):
    # given an invited Facebook follow-up and Meta's webhooks not set up
    review, _source, psid = facebook_comment(clinic_a, platforms)
    writer = as_user("alpha_writer", clinic_a)
    started = writer.post(f"reviews/{review.pk}/private-conversations/", {}).json()
    platforms.facebook_person_writes(psid, "Happy to talk tomorrow.")  # nobody receives it

    # when the sweep runs (beat), it reads the conversation through the Graph API
    with schema_context(clinic_a.schema_name):
        assert followups_sweep()["answers"] == 1
        assert followups_sweep()["answers"] == 0  # once

    # then the answer is threaded
    detail = writer.get(f"private-conversations/{started['id']}/").json()
    assert detail["status"] == "replied"
    assert [(m["direction"], m["text"]) for m in detail["messages"]] == [
        ("out", detail["messages"][0]["text"]),
        ("in", "Happy to talk tomorrow."),
    ]
    [conversations] = platforms.requests_for("facebook", "GET", path="/conversations")[:1]
    assert conversations.params["user_id"] == psid
