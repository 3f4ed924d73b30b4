"""Markup never reaches a reply or a private follow-up through a filled-in variable, nor a
follow-up's own text. A variable whose value holds markup (a fact stored before facts were
checked) is refused at the field of a reply, a batch or a statement, naming the variable, the
markup and where to correct it, and nothing is stored. A reviewer's display name that holds
markup is no name to greet: a batch's {greeting} and {reviewer_name} read as where names are
not allowed. A follow-up's message (SMS, e-mail, Messenger) with markup is refused like a
reply's: a 400 naming the markup in the API, the error at the "Message to the person" field of
the editor's form; nothing sent or stored."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from facts.models import Fact
from feeds.models import Review
from responses.models import (
    FollowUpMessage,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    ReplyVersion,
    ResponseSettings,
    Statement,
)
from tests.feeds import fake_platforms as fp
from tests.responses.conftest import review_in
from tests.responses.test_followups import facebook_comment

pytestmark = pytest.mark.django_db

SENT = "Messages are sent as plain text: remove the markup"


def _fact_with_markup(clinic, slug: str) -> None:
    # stored as a fact written before facts were checked for markup
    with schema_context(clinic.schema_name):
        Fact.objects.create(
            slug=slug, title="Hours", statement="We are open <b>8 to 6</b> on weekdays."
        )


def _stored(clinic) -> tuple[int, int, int, int, int]:
    with schema_context(clinic.schema_name):
        return (
            ReplyDraft.objects.count(),
            ReplyVersion.objects.count(),
            ReplyBatch.objects.count(),
            PrivateConversation.objects.count(),
            FollowUpMessage.objects.count(),
        )


def _refusal(slug: str) -> str:
    return (
        f"{{fact:{slug}}} fills in the markup <b> and </b>: replies are posted as plain text. "
        f"Correct the fact on the fact sheet, or remove {{fact:{slug}}}."
    )


def test_a_variable_that_fills_in_markup_is_refused_naming_it(clinic_a, as_user):
    # given
    _fact_with_markup(clinic_a, "hours-marked-up")
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    before = _stored(clinic_a)

    # when
    refused = writer.post(
        "drafts/", {"review_id": review.pk, "text": "Thank you. {fact:hours-marked-up}"}
    )

    # then
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [_refusal("hours-marked-up")]}
    assert _stored(clinic_a) == before
    # an edit cannot bring it in either
    draft = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you."}).json()
    edited = writer.patch(f"drafts/{draft['id']}/", {"text": "Thanks. {fact:hours-marked-up}"})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"text": [_refusal("hours-marked-up")]}
    with schema_context(clinic_a.schema_name):
        texts = ReplyVersion.objects.filter(draft_id=draft["id"]).values_list("text", flat=True)
        assert list(texts) == ["Thank you."]


def test_a_batch_whose_variable_fills_in_markup_is_refused_naming_it(clinic_a, as_user):
    _fact_with_markup(clinic_a, "hours-batch-marked-up")
    reviews = [review_in(clinic_a).pk for _ in range(2)]
    before = _stored(clinic_a)

    refused = as_user("alpha_writer", clinic_a).post(
        "reply-batches/",
        {"review_ids": reviews, "text": "{greeting} thank you. {fact:hours-batch-marked-up}"},
    )

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [_refusal("hours-batch-marked-up")]}
    assert _stored(clinic_a) == before


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", "<b>Sam</b>", "<img src=x onerror=alert(1)>"],
    ids=["script", "bold", "img"],
)
def test_a_reviewer_name_holding_markup_is_never_filled_in(clinic_a, as_user, name):
    # given: mentions by a display name that holds markup, and one by a plain name, in a clinic
    # that lets replies greet reviewers by name
    reviews = [review_in(clinic_a), review_in(clinic_a)]
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=reviews[0].pk).update(author_name=name)
        ResponseSettings.objects.update_or_create(pk=1, defaults={"allow_reviewer_name": True})
    try:
        # when
        created = as_user("alpha_writer", clinic_a).post(
            "reply-batches/",
            {
                "review_ids": [r.pk for r in reviews],
                "text": "{greeting} thank you, {reviewer_name}. Please call us.",
            },
        )
    finally:
        with schema_context(clinic_a.schema_name):
            ResponseSettings.objects.filter(pk=1).update(allow_reviewer_name=False)

    # then the marked-up name reads as no name; the plain one greets as before
    assert created.status_code == 201, created.json()
    by_review = {i["review_id"]: i["text"] for i in created.json()["items"]}
    assert by_review == {
        reviews[0].pk: "Hello, thank you, there. Please call us.",
        reviews[1].pk: "Hi Sam, thank you, Sam. Please call us.",
    }


def test_a_statement_whose_variable_fills_in_markup_is_refused_naming_it(clinic_a, as_user):
    _fact_with_markup(clinic_a, "hours-statement-marked-up")
    with schema_context(clinic_a.schema_name):
        before = Statement.objects.count()

    refused = as_user("alpha_writer", clinic_a).post(
        "statements/", {"title": "Our hours", "body": "{fact:hours-statement-marked-up}"}
    )

    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "body": [
            "{fact:hours-statement-marked-up} fills in the markup <b> and </b>: statements are "
            "published as plain text. Correct the fact on the fact sheet, or remove "
            "{fact:hours-statement-marked-up}."
        ]
    }
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.count() == before


def _sms_ready(clinic, writer, settings, platforms):
    settings.TWILIO_ACCOUNT_SID = fp.TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = fp.TWILIO_AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = fp.TWILIO_NUMBER
    settings.TWILIO_API_BASE = platforms.base_url
    review = review_in(clinic, "google")
    consent = writer.post(
        f"reviews/{review.pk}/contact-consents/",
        {"channel": "sms", "address": "+1 (555) 010-0123", "basis": "Texted us first and asked"},
    )
    assert consent.status_code == 201, consent.json()
    return review


def test_an_sms_with_markup_is_refused_and_never_sent(clinic_a, as_user, settings, platforms):
    # given
    writer = as_user("alpha_writer", clinic_a)
    review = _sms_ready(clinic_a, writer, settings, platforms)
    before = _stored(clinic_a)

    # when
    refused = writer.post(
        f"reviews/{review.pk}/private-conversations/",
        {"channel": "sms", "text": "Please <b>call us</b> on our main line."},
    )

    # then
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{SENT} <b> and </b>."]}
    assert _stored(clinic_a) == before
    assert platforms.sms_sent == []

    # and a later message on the open follow-up is refused the same way
    started = writer.post(f"reviews/{review.pk}/private-conversations/", {"channel": "sms"})
    assert started.status_code == 201, started.json()
    after_start = _stored(clinic_a)
    again = writer.post(
        f"private-conversations/{started.json()['id']}/messages/",
        {"text": "See <a href='https://x.test/'>this</a>."},
    )
    assert again.status_code == 400
    assert again.json()["fields"] == {"text": [f"{SENT} <a href='https://x.test/'> and </a>."]}
    assert _stored(clinic_a) == after_start
    assert len(platforms.sms_sent) == 1  # the invitation only


def test_an_email_with_markup_is_refused_and_never_sent(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a, "google")
    consent = writer.post(
        f"reviews/{review.pk}/contact-consents/",
        {
            "channel": "email",
            "address": "sam@example.org",
            "basis": "Asked us by phone on 3 Dec to write to this address",
        },
    )
    assert consent.status_code == 201, consent.json()
    before = _stored(clinic_a)
    mail.outbox.clear()

    refused = writer.post(
        f"reviews/{review.pk}/private-conversations/",
        {"channel": "email", "text": "Thanks.<br>Please call us. <!-- sent by Kim -->"},
    )

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"text": [f"{SENT} <br> and <!-- sent by Kim -->."]}
    assert _stored(clinic_a) == before
    assert mail.outbox == []


def test_the_editor_says_the_markup_at_the_message_field(clinic_a, login, platforms):
    # given: a Facebook comment, which Messenger reaches
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    before = _stored(clinic_a)

    # when
    answer = login("alpha_writer").post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/",
        {"channel": "facebook", "text": "Please <i>call</i> us.", "notes": ""},
    )

    # then the form holds the error at the message's field, the text as typed
    assert answer.status_code == 400
    html = answer.content.decode()
    errors = re.search(r'<ul class="errorlist" id="fu-text-error">(.*?)</ul>', html)
    assert errors is not None
    assert unescape(errors.group(1)) == f"<li>{SENT} <i> and </i>.</li>"
    assert "Please &lt;i&gt;call&lt;/i&gt; us.</textarea>" in html
    assert _stored(clinic_a) == before
    assert platforms.writes() == []
