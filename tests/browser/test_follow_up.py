"""Private follow-up in a real Chromium: an agency writer starts a follow-up from a negative
Facebook comment; the invitation goes to the fake Facebook as Messenger's private reply; the
person answers on Messenger (the fake's signed webhook reaches the server); the answer is in
the thread, the owner is told (e-mail and in-app); the writer sets the outcome and the review
is resolved. axe: no serious or critical violation on the follow-up page.

The labels this test clicks are the staff UI's stable names (tests/browser/test_close_loop.py
uses them too): on the reply editor's "Private follow-up" card, "Channel", "Message to the
person", "Owner", "Due", "Start follow-up", "Propose the public reply"; on the follow-up page,
"Send message", "Add note", "Status", "Outcome", "Closing note", "Save follow-up", and the
status in `data-testid="follow-up-status"`."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import ItemKind, Review, ReviewStatus
from feeds.services import source_create
from responses.models import FollowUpMessage, PrivateConversation
from tests.feeds import fake_platforms as fp
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.workers import wait_for

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: the first check in a fresh server loads the privacy guard
COMMENT = "Waited two hours and the front desk was rude when I asked why."


def test_a_private_follow_up_is_sent_answered_and_resolved(
    platforms_server, new_page, committed_tenant
):
    # given a negative comment on the clinic's Facebook page, known to the fake Facebook
    fake, server = platforms_server.fake, platforms_server.server
    tenant = committed_tenant()
    post = fake.add_facebook_post("Our new opening hours", by_page=True)
    comment_id = fake.add_facebook_comments(post, 1, text=COMMENT)[0]
    psid = fake.fb_comments[comment_id]["from"]["id"] + "99"
    with tenant.schema():
        source = source_create(
            kind="facebook",
            name="Lakeside on Facebook",
            settings=fake.settings("facebook"),
            credentials={**fake.credentials("facebook"), "app_secret": fp.FACEBOOK_APP_SECRET},
        )
        review = Review.objects.create(
            source=source,
            external_id=comment_id,
            kind=ItemKind.COMMENT,
            author_name="Commenter",
            text=COMMENT,
            published_at=timezone.now() - timedelta(hours=1),
        )
    slug = tenant.clinic.slug
    fake.messenger_webhook_url = server.url(f"/hooks/{slug}/{source.pk}/messenger/")
    writer = tenant.users["writer"]

    # when the writer starts the follow-up from the review's reply editor
    page = new_page("desktop")
    sign_in(page, server, writer, totp=tenant.devices["writer"])
    page.goto(server.url(f"/clinics/{slug}/replies/review/{review.pk}/"))
    card = page.locator("#follow-up")
    assert card.get_by_text("Facebook private message").first.is_visible()
    card.get_by_label("Channel").select_option(label="Facebook private message")
    assert card.get_by_label("Owner").input_value() == str(writer.pk)
    screenshot(page, "follow-up-start")
    assert serious_violations(page) == []
    card.get_by_role("button", name="Start follow-up").click()
    # (the browser keeps the form's "#follow-up" across the redirect)
    page.wait_for_url(re.compile(rf"/clinics/{slug}/follow-ups/\d+/(#.*)?$"), timeout=SLOW)

    # then the invitation went to Facebook as a private reply to the comment
    status = page.get_by_test_id("follow-up-status")
    assert status.inner_text() == "Invited"
    assert page.get_by_text("Invitation sent (Facebook private message).").is_visible()
    [sent] = fake.requests_for("facebook", "POST", path="/messages")
    assert sent.json["recipient"] == {"comment_id": comment_id}
    assert page.get_by_text(sent.json["message"]["text"]).is_visible()

    # when the person answers on Messenger
    fake.facebook_person_writes(psid, "Thank you. Please call me after 5 pm.")

    # then the answer is in the thread and the owner was told
    page.reload()
    assert page.get_by_test_id("follow-up-status").inner_text() == "Replied"
    answer = page.get_by_test_id("message-in")
    assert "Thank you. Please call me after 5 pm." in answer.inner_text()
    mails = wait_for(
        lambda: [
            m for m in server.mails(to=writer.email) if "answered your private follow-up" in m["Subject"]
        ],
        timeout=20,
    )  # fmt: skip
    assert mails, "the owner got no e-mail"
    screenshot(page, "follow-up-answered")
    assert serious_violations(page) == []

    # when the writer answers back and then records the outcome
    page.get_by_label("Message to the person").fill("Thank you, we will call you after 5 pm.")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    assert page.get_by_text("Message sent.").is_visible()
    assert fake.requests_for("facebook", "POST", path="/messages")[-1].json["recipient"] == {
        "id": psid
    }
    page.get_by_label("Outcome").select_option(label="Problem solved")
    page.get_by_label("Closing note").fill("Called back; the wait is explained.")
    page.get_by_role("button", name="Save follow-up").click()
    page.wait_for_load_state()

    # then the follow-up and the review are resolved
    assert page.get_by_text("Follow-up saved.").is_visible()
    assert page.get_by_test_id("follow-up-status").inner_text() == "Resolved"
    assert serious_violations(page) == []
    assert page.console_errors == []
    with tenant.schema():
        conversation = PrivateConversation.objects.get(review=review)
        assert (conversation.status, conversation.outcome) == ("resolved", "solved")
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.RESOLVED
        directions = list(
            FollowUpMessage.objects.filter(conversation=conversation).values_list(
                "direction", "status"
            )
        )
    assert directions == [("out", "sent"), ("in", "received"), ("out", "sent")]
