"""Delivery you can see: each approved reply and statement says, per channel, queued / posted
(with the platform's id and link) / failed (the platform's reason in plain words and what to
do). A failure tells the people who approved it and the agency's owners (in-app, e-mail and
the chat channels incident alerts use), counts on the dashboard, and waits for the channel to
be connected when that is what it lacks; the fake Facebook and Google answer over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.brand_links import unbranded
from clinics.models import Notification, clinic_zone
from crisis.services.alerting import chat_webhook_set
from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh
from feeds.models import Review, Source
from feeds.services import source_create, source_update
from responses.models import AuditEntry, OutboxItem, ReplyDraft
from responses.services.delivery import (
    FAILURE_BURST_QUIET,
    outbox_failure_notify,
    reply_failures_mail,
)
from responses.services.outbox import (
    outbox_failures_untold,
    outbox_retry_for_source,
)
from tests.crisis.fake_chat import FakeChat
from tests.feeds.fake_platforms import FakePlatforms
from tests.responses.conftest import OK_TEXT, approved_reply, deliver_in, review_in

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up
POSTED = {"url": "https://example.org/posted-by-hand"}  # where a person posted it

FB_TEXT = "They reuse needles at this clinic!"


@pytest.fixture
def chat():
    fake = FakeChat().start()
    yield fake
    fake.stop()


def _facebook_review(clinic, fake: FakePlatforms, *, connected: bool) -> Review:
    """A comment on the clinic's Facebook page that the fake knows; the source has the page's
    settings, and its token only when `connected`."""
    with schema_context(clinic.schema_name):
        source = Source.objects.filter(kind="facebook").first() or source_create(
            kind="facebook",
            name="Sunrise Facebook page",
            settings=fake.settings("facebook"),
            credentials=fake.credentials("facebook") if connected else {},
        )
        post = fake.add_facebook_post("Clinic news")
        [comment] = fake.add_facebook_comments(post, text=FB_TEXT)
        return Review.objects.create(
            source=source,
            external_id=comment,
            kind="comment",
            author_name="Commenter",
            text=FB_TEXT,
            published_at=timezone.now() - timedelta(hours=1),
        )


def _item(clinic, item_id: int) -> OutboxItem:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.get(pk=item_id)


def test_a_reply_to_a_disconnected_channel_fails_with_what_to_do_and_waits_for_it(
    platforms, clinic_a, as_user, queued
):
    # given an approved reply to a comment on a Facebook page that is not connected
    review = _facebook_review(clinic_a, platforms, connected=False)
    draft = approved_reply(clinic_a, as_user, review)
    [delivery] = draft["delivery"]
    assert (delivery["state"], delivery["source_name"]) == ("queued", "Sunrise Facebook page")

    # when the worker delivers it
    assert deliver_in(clinic_a, delivery["outbox_id"]) == "failed"

    # then the reply says, for that channel, that it failed, why, and what to do
    writer = as_user("alpha_writer", clinic_a)
    [failed] = writer.get(f"drafts/{draft['id']}/").json()["delivery"]
    assert failed["state"] == "failed"
    assert failed["failure_kind"] == "not_connected"
    # in plain words: what is wrong, and where to fix it; the connector's own check (a
    # token or page id missing) only as the detail line
    assert failed["reason"] == "Not sent — Sunrise Facebook page is not connected."
    assert failed["state_label"] == "Not sent"
    page = writer.client.get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
    html = page.content.decode()
    assert (
        '<span class="pill negative">Not sent</span> <span class="error">Not sent — Sunrise '
        "Facebook page is not connected.</span>"
    ) in html
    # a writer cannot connect a channel: who can is named, and no link leads where she can't act
    assert (
        "What to do: Only the agency&#x27;s owners and managers (Alpha Owner or Alpha Manager) "
        "can connect Sunrise Facebook page: ask one of them; it is then sent by itself. "
        "Meanwhile, post it by hand and mark it posted."
    ) in html
    assert f'<a href="/clinics/{clinic_a.slug}/sources/">Open the Sources page</a>' not in html
    manager = as_user("alpha_manager", clinic_a).client
    managing = manager.get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/").content
    assert (
        "<span>What to do: Connect Sunrise Facebook page on the Sources page; it is then sent "
        "by itself. Or post it by hand and mark it posted.</span> "
        f'<a href="/clinics/{clinic_a.slug}/sources/">Open the Sources page</a>'
    ) in managing.decode()
    assert (
        '<small class="muted" data-testid="delivery-detail">Technical detail: Facebook: the '
        "page token is missing.</small>"
    ) in html
    assert "Failed" not in html.split('data-testid="deliveries"', 1)[1].split("</ul>", 1)[0]
    outbox = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert (
        '<p class="error" data-testid="failure-reason">Not sent — Sunrise Facebook page is not '
        "connected.</p>"
    ) in outbox
    assert "Technical detail: Facebook: the page token is missing." in outbox
    # the API reads for no one in particular: it says who may connect it
    assert failed["what_to_do"] == (
        "The agency's owners and managers can connect Sunrise Facebook page on the Sources "
        "page; it is then sent by itself. Or post it by hand and mark it posted."
    )
    assert platforms.writes("facebook") == []
    # and it is not retried on its own: it waits for the channel
    assert deliver_in(clinic_a, delivery["outbox_id"], now=timezone.now() + timedelta(hours=2)) == (
        "skipped"
    )

    # when the page is connected (the credentials saved where they are saved today)
    with schema_context(clinic_a.schema_name):
        source_update(
            source=Source.objects.get(kind="facebook"),
            credentials=platforms.credentials("facebook"),
            actor=SETUP,
        )
    # then the outbox sends again what waited for that channel (the task the port queues)
    source_id = failed["source_id"]
    with schema_context(clinic_a.schema_name):
        assert outbox_retry_for_source(source_id=source_id) == [delivery["outbox_id"]]
    assert deliver_in(clinic_a, delivery["outbox_id"]) == "sent"

    # and it shows as posted, with the platform's id and link
    [posted] = writer.get(f"drafts/{draft['id']}/").json()["delivery"]
    [write] = platforms.writes("facebook")
    assert write.path.endswith(f"/{review.external_id}/comments")
    assert posted["state"] == "posted"
    assert platforms.fb_comments[posted["external_id"]]["message"] == OK_TEXT
    assert posted["reason"] == "" and posted["failure_kind"] == ""
    assert writer.get(f"drafts/{draft['id']}/").json()["status"] == "published"


def test_saving_a_sources_credentials_queues_the_retry_for_that_source(
    platforms, clinic_a, queued, django_capture_on_commit_callbacks
):
    review = _facebook_review(clinic_a, platforms, connected=False)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        source_update(
            source=review.source, credentials=platforms.credentials("facebook"), actor=SETUP
        )
    assert ("responses.tasks.outbox_retry_for_source", (review.source_id,)) in queued
    # a change of name alone queues nothing
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        source_update(source=review.source, name="Renamed page", actor=SETUP)
    assert queued == []


@pytest.mark.parametrize(
    ("scenario", "kind", "waits"),
    [
        pytest.param("expired", "auth", True, id="expired-token"),
        pytest.param("forbidden", "permission", True, id="no-permission"),
        pytest.param("refused", "refused", False, id="other-refusal"),
    ],
)
def test_refusals_are_classified_and_only_connection_problems_wait_for_the_channel(
    platforms, clinic_a, as_user, scenario, kind, waits
):
    review = review_in(clinic_a, fake=platforms)  # Google, connected
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    if scenario == "expired":
        platforms.expire_token("google")
    elif scenario == "forbidden":
        platforms.fail(
            1, status=403, platform="google", message="The caller does not have permission"
        )
    else:
        platforms.fail(
            1, status=400, platform="google", message="Request contains an invalid argument."
        )

    assert deliver_in(clinic_a, item_id) == "failed"

    item = _item(clinic_a, item_id)
    assert item.failure_kind == kind
    with schema_context(clinic_a.schema_name):
        retried = outbox_retry_for_source(source_id=item.source_id)
    assert retried == ([item_id] if waits else [])
    assert _item(clinic_a, item_id).status == ("pending" if waits else "failed")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [pytest.param(503, "retry", id="5xx"), pytest.param(429, "retry", id="429")],
)
def test_transient_errors_are_retried_with_backoff_not_failed(
    platforms, clinic_a, as_user, status, outcome
):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    platforms.fail(1, status=status, platform="google", method="PUT", message="Try later")
    assert deliver_in(clinic_a, item_id) == outcome
    item = _item(clinic_a, item_id)
    assert (item.status, item.failure_kind) == ("pending", "")
    assert item.next_attempt_at > timezone.now() + timedelta(seconds=20)
    [row] = (
        as_user("alpha_writer", clinic_a)
        .get("drafts/", review_id=review.pk)
        .json()["results"][0]["delivery"]
    )
    assert (row["state"], row["reason"], row["what_to_do"]) == (
        "queued", "Google Business Profile said: Try later",
        "Nothing: it is retried by itself. If it cannot wait, post it by hand and mark it "
        "posted: it is then not sent.",
    )  # fmt: skip


def test_a_failure_tells_the_agency_in_app_mail_and_chat_and_the_clinic_only_for_information(
    platforms,
    clinic_a,
    as_user,
    world,
    chat,
    mailoutbox,
    django_capture_on_commit_callbacks,
    login,
):
    # given the agency's Slack channel and the clinic's Teams channel
    chat_webhook_set(
        agency_id=world.agencies["alpha"].pk,
        clinic=None,
        kind="slack",
        url=f"{chat.base_url}/slack",
        actor=SETUP,
    )
    chat_webhook_set(
        agency_id=world.agencies["alpha"].pk, clinic=clinic_a, kind="teams",
        url=f"{chat.base_url}/teams", actor=SETUP,
    )  # fmt: skip
    review = _facebook_review(clinic_a, platforms, connected=False)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    assert deliver_in(clinic_a, item_id) == "failed"

    # when the notice runs (the task queued after the failure)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        outcome = outbox_failure_notify(item_id=item_id)

    # then the manager (who approved it) and the agency's owner are told in-app and by
    # e-mail; the clinic's approver (who approved it too, but cannot fix it) by e-mail only:
    # nothing waits for them; the writer (who did not approve) hears of her reply only for
    # information. The notice is the channel's (it waits for the channel to be connected):
    # was `outbox:<item>`, one per reply, so every reply on the channel told everyone again
    users = world.users
    source_id = _item(clinic_a, item_id).source_id
    channel_ref = f"outbox-source:{source_id}:waiting"
    rows = Notification.objects.filter(clinic=clinic_a, ref=channel_ref)
    told = {n.user_id: n for n in rows.filter(waits=True)}
    assert set(told) == {users["alpha_manager"].pk, users["alpha_owner"].pk}
    # the approver's notice is kept for their history only: never open, e-mailed now
    info = rows.get(waits=False)
    assert info.user_id == users["a_approver"].pk
    assert not info.open and info.emailed_at is not None and not info.email_pending
    note = told[users["alpha_owner"].pk]
    assert note.kind == "delivery_failed" and note.open
    # the review as people know it: who, the platform and the day; never an id or its words
    day = timezone.localtime(review.published_at, clinic_zone(clinic_a))
    assert note.title == (
        "Not posted on Sunrise Facebook page: the reply to Commenter’s Facebook page comment of "
        f"{day.day} {day:%b %Y}"
    )
    assert note.url == f"/clinics/{clinic_a.slug}/outbox/#item-{item_id}"
    failure_mails = [m for m in mailoutbox if "Not posted on" in m.subject]
    assert sorted(m.to[0] for m in failure_mails) == sorted(
        u.email for u in (users["alpha_manager"], users["a_approver"], users["alpha_owner"])
    )
    # the writer posts by hand: what she is asked to do (post it by hand) is the one line
    # she gets of it, waiting for her and mailed once as such; no "was not posted" line for
    # her information beside it, nor its e-mail once the burst is over
    [ask] = [m for m in mailoutbox if m not in failure_mails]
    assert ask.to == [users["alpha_writer"].email]
    assert ask.subject == (
        "[Clinic A] Post by hand: 1 reply not posted on Sunrise Facebook page (not connected) "
        "waits for you"
    )
    assert not Notification.objects.filter(
        user=users["alpha_writer"], clinic=clinic_a, kind="reply_failed"
    ).exists()
    asked = Notification.objects.get(
        user=users["alpha_writer"], clinic=clinic_a, kind="post_by_hand"
    )
    assert (asked.ref, asked.open, asked.waits) == (
        f"outbox-source:{source_id}:post-failed-by-hand",
        True,
        True,
    )
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=users["alpha_writer"].pk, now=later) == "nothing due"
    assert [m for m in mailoutbox if m not in failure_mails] == [ask]
    mail = {m.to[0]: m for m in failure_mails}
    # the subject is the short line; the body says what happened and what to do, without
    # naming the platform twice ("Sunrise Facebook page ... to Facebook page")
    owner_mail = mail[users["alpha_owner"].email]
    assert owner_mail.subject == f"[Clinic A] {note.title}"
    assert "Sunrise Facebook page is not connected. Connect Sunrise Facebook page" in (
        owner_mail.body
    )
    # the clinic's approver cannot reconnect a channel or open the outbox: told that the
    # agency acts, with a link to where the reply stands in the portal
    clinic_mail = mail[users["a_approver"].email]
    assert clinic_mail.subject == f"[Clinic A] {note.title}"
    assert "Connect" not in clinic_mail.body and "Sources" not in clinic_mail.body
    # in the clinic's words for a channel that is not connected, the same sentence the portal
    # shows (was "is not connected. Your agency has been told…": the portal said another)
    assert (
        "Sunrise Facebook page is not connected. Your agency connects it (it is then posted by "
        "itself) or posts it there by hand; nothing is needed from you." in clinic_mail.body
    )
    assert "page token" not in clinic_mail.body and "copy the reply" not in clinic_mail.body
    draft_id = _item(clinic_a, item_id).draft_id
    assert f"/clinics/{clinic_a.slug}/portal/approvals/#delivered-{draft_id}" in unbranded(
        clinic_mail.body
    )
    # and no page of the portal shows it as waiting for them: no banner line, no badge
    portal = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/").content.decode()
    assert "Not posted on" not in portal and "Waiting for you" not in portal
    assert 'data-alert-count="0"' in portal
    # while the agency's people who can fix it see it waiting for them
    staff = login("alpha_owner").get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert "Waiting for you" in staff and note.title in staff
    # never the text of the review or the reply in a notice
    for mail in mailoutbox:
        assert FB_TEXT not in mail.body and OK_TEXT not in mail.body
    # and both chat channels get a notice with a button to the outbox
    slack = chat.to("/slack")[0]["json"]
    assert slack["blocks"][1]["elements"][0]["url"].endswith(f"/outbox/#item-{item_id}")
    teams = chat.to("/teams")[0]["json"]["attachments"][0]["content"]
    assert teams["actions"][0]["title"] == "Open the outbox"
    assert outcome == "told 3; slack: posted, teams: posted"

    # and a second run (a duplicate task) tells nobody again
    with schema_context(clinic_a.schema_name):
        assert outbox_failure_notify(item_id=item_id) == "already told"
    assert len(chat.posts) == 2

    # when it is posted by hand, the notices leave everyone's banner
    writer = as_user("alpha_writer", clinic_a)
    done = writer.post(
        f"outbox/{item_id}/mark-posted/",
        {"url": "https://www.facebook.com/100200300400500/posts/1", "external_id": "1_2"},
    )
    assert done.status_code == 200
    assert not Notification.objects.filter(ref=channel_ref, open=True).exists()


def test_a_lost_notice_is_sent_by_the_sweeper(platforms, clinic_a, as_user):
    review = _facebook_review(clinic_a, platforms, connected=False)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    assert deliver_in(clinic_a, item_id) == "failed"
    with schema_context(clinic_a.schema_name):
        assert outbox_failures_untold() == []  # a minute's grace for the queued notice
        assert outbox_failures_untold(now=timezone.now() + timedelta(minutes=2)) == [item_id]
        outbox_failure_notify(item_id=item_id)
        assert outbox_failures_untold(now=timezone.now() + timedelta(minutes=2)) == []


def test_marking_posted_keeps_the_link_and_id_and_an_already_posted_item_is_409(
    platforms, clinic_a, as_user
):
    # given a failed reply
    review = _facebook_review(clinic_a, platforms, connected=False)
    draft = approved_reply(clinic_a, as_user, review)
    item_id = draft["delivery"][0]["outbox_id"]
    assert deliver_in(clinic_a, item_id) == "failed"
    writer = as_user("alpha_writer", clinic_a)

    # a bad link is a 400 with the field, and changes nothing
    bad = writer.post(f"outbox/{item_id}/mark-posted/", {"url": "not a link"})
    assert bad.status_code == 400 and "url" in bad.json()["fields"]
    assert _item(clinic_a, item_id).status == "failed"

    # when a person posted it by hand and pastes the link and the id
    url = "https://www.facebook.com/100200300400500/posts/77?comment_id=88"
    done = writer.post(
        f"outbox/{item_id}/mark-posted/",
        {"url": url, "external_id": "77_88", "note": "Posted from the practice's own account"},
    )
    assert done.status_code == 200
    # the outbox shows it done with the note, no longer the platform's old refusal
    outbox = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    card = outbox.split(f'id="item-{item_id}"', 1)[1].split("</article>", 1)[0]
    assert "Posted by hand" in card and "Note: Posted from the practice" in card
    assert "The platform said" not in card and "page token is missing" not in card
    [row] = writer.get(f"drafts/{draft['id']}/").json()["delivery"]
    assert (row["state"], row["state_label"], row["external_id"], row["external_url"]) == (
        "posted", "Posted by hand", "77_88", url,
    )  # fmt: skip
    with schema_context(clinic_a.schema_name):
        before = (
            OutboxItem.objects.values().get(pk=item_id),
            AuditEntry.objects.count(),
            ReplyDraft.objects.get(pk=draft["id"]).status,
        )

    # then marking it posted again is a conflict, and nothing changes
    again = writer.post(f"outbox/{item_id}/mark-posted/", {"url": "https://example.org/x"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_posted"
    with schema_context(clinic_a.schema_name):
        after = (
            OutboxItem.objects.values().get(pk=item_id),
            AuditEntry.objects.count(),
            ReplyDraft.objects.get(pk=draft["id"]).status,
        )
    assert after == before


def test_an_item_sent_by_carewatch_cannot_be_marked_posted(platforms, clinic_a, as_user):
    review = review_in(clinic_a, fake=platforms)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    assert deliver_in(clinic_a, item_id) == "sent"
    before = _item(clinic_a, item_id)
    answer = as_user("alpha_writer", clinic_a).post(f"outbox/{item_id}/mark-posted/", {})
    assert answer.status_code == 409 and answer.json()["code"] == "already_posted"
    after = _item(clinic_a, item_id)
    assert (after.status, after.external_id, after.updated_at) == (
        "sent", before.external_id, before.updated_at,
    )  # fmt: skip


def test_the_dashboard_row_counts_failed_deliveries(platforms, clinic_a, as_user):
    review = _facebook_review(clinic_a, platforms, connected=False)
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    clinic_snapshot_refresh(clinic=clinic_a)
    assert ClinicSnapshot.objects.get(clinic=clinic_a).failed_deliveries == 0
    assert deliver_in(clinic_a, item_id) == "failed"
    clinic_snapshot_refresh(clinic=clinic_a)
    assert ClinicSnapshot.objects.get(clinic=clinic_a).failed_deliveries == 1
    page = as_user("alpha_owner", clinic_a).client.get("/agency/").content.decode()
    assert 'data-testid="failed-deliveries">1</span>' in page
    assert '1</strong> <a href="#dashboard">failed delivery</a>' in page
    # fixed by hand: the count goes back to 0
    as_user("alpha_writer", clinic_a).post(f"outbox/{item_id}/mark-posted/", POSTED)
    clinic_snapshot_refresh(clinic=clinic_a)
    assert ClinicSnapshot.objects.get(clinic=clinic_a).failed_deliveries == 0


def test_before_the_last_approval_the_page_names_the_channel_and_warns_it_is_not_connected(
    platforms, clinic_a, as_user, login
):
    review = _facebook_review(clinic_a, platforms, connected=False)
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
    writer.post(f"drafts/{draft['id']}/submit/")
    as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")
    # the clinic's approver gives the last approval in the portal
    page = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    assert "Your approval is the last one; it then goes to:" in page
    assert 'Sunrise Facebook page: <span class="pill negative">not connected</span>' in page
    # in the client's words: nothing for them to do, no connector jargon
    assert "Your agency has not connected it yet." in page
    assert "page token" not in page.split("Your approval is the last one")[1].split("Approve")[0]
    # and after approving it, nothing says it is published
    answer = (
        login("a_approver")
        .post(
            f"/clinics/{clinic_a.slug}/portal/act/",
            {"kind": "reply", "id": draft["id"], "action": "approve"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    # in the client's words: no connector reason (it was "(Facebook: the page token is
    # missing.)"), nothing for them to do
    waiting = (
        "Not posted yet: Sunrise Facebook page is not connected. Your agency connects it (it is "
        "then posted by itself) or posts it there by hand; nothing is needed from you."
    )
    assert f"Approved. {waiting}</strong>" in answer
    assert "page token" not in answer
    assert "published" not in answer.lower().replace("“approved”", "")
    # the approver sees where it stands among the replies approved lately, as the message
    # said: waiting for the agency to connect the channel, not queued for the platform
    page = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    assert f'id="delivered-{draft["id"]}"' in page
    assert 'data-state="queued"' in page
    assert "once the platform confirms" not in page and "Queued" not in page
    assert waiting in page and "page token" not in page
    assert '<span class="pill neutral">Waiting for your agency</span>' in page
    # and the agency's own view says what to do
    [row] = writer.get(f"drafts/{draft['id']}/").json()["delivery"]
    assert (row["state"], row["state_label"]) == ("queued", "Waiting for the connection")
    assert row["what_to_do"].startswith(
        "The agency's owners and managers can connect Sunrise Facebook page on the Sources page"
    )

    # once the delivery fails for the same reason, the approver reads the same words as
    # before (it said "Failed — Not sent: …: the page token is missing." after "Waiting for
    # the connection"); never the agency's own steps (connect the source, the outbox)
    [item_id] = [r["outbox_id"] for r in writer.get(f"drafts/{draft['id']}/").json()["delivery"]]
    assert deliver_in(clinic_a, item_id) == "failed"
    page = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()
    assert 'data-state="failed"' in page
    assert waiting in page and "page token" not in page and "Failed" not in page
    assert '<span class="pill neutral">Waiting for your agency</span>' in page
    assert "What to do" not in page and "(Sources)" not in page and "/outbox/" not in page
    # while the agency's own page for the reply still says what to do
    staff = writer.client.get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert (
        "<strong>What to do:</strong> Only the agency&#x27;s owners and managers (Alpha Owner or "
        "Alpha Manager) can connect Sunrise Facebook page: ask one of them"
    ) in staff
    # and "Try again" is not offered where it cannot work: it says why instead
    assert 'value="retry"' not in staff
    assert (
        '<p class="muted" data-testid="no-retry">Trying again cannot work: Sunrise Facebook page '
        "is still not connected."
    ) in staff


def test_a_statement_says_where_it_is_pinned_only_once_the_channel_confirms(
    platforms, clinic_a, as_user, login
):
    # given a connected Facebook page and an approved statement
    _facebook_review(clinic_a, platforms, connected=True)
    writer = as_user("alpha_writer", clinic_a)
    statement = writer.post(
        "statements/", {"title": "About our safety rules", "body": "Every needle is used once."}
    ).json()
    writer.post(f"statements/{statement['id']}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{statement['id']}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{statement['id']}/approve/")
    page_url = f"/clinics/{clinic_a.slug}/statements/{statement['id']}/"
    # the pin form names the channel, connected
    form = login("alpha_writer").get(page_url).content.decode()
    assert "posts and pins it on:" in form
    assert 'Sunrise Facebook page: <span class="pill positive">connected</span>' in form

    # when it is published, the message says it is queued, not pinned
    client = login("alpha_writer")
    published = {"action": "publish", "expected_version": 1}  # the version the page shows
    answer = client.post(page_url, published, follow=True).content.decode()
    assert (
        "Published on the public statement page. Queued for Sunrise Facebook page: it shows as "
        "posted once the platform confirms." in answer
    )
    assert "being pinned" not in answer
    [row] = writer.get(f"statements/{statement['id']}/").json()["delivery"]
    assert row["state"] == "queued"

    # then once Facebook confirms, it is posted with the post's id
    assert deliver_in(clinic_a, row["outbox_id"]) == "sent"
    [row] = writer.get(f"statements/{statement['id']}/").json()["delivery"]
    assert row["state"] == "posted" and row["external_id"] in platforms.fb_pinned
    page = client.get(page_url).content.decode()
    assert "Posted on Sunrise Facebook page." in page


def test_a_statement_with_no_connected_channel_warns_before_publishing(clinic_a, as_user, login):
    writer = as_user("alpha_writer", clinic_a)
    statement = writer.post(
        "statements/", {"title": "About our hours", "body": "We open at eight."}
    ).json()
    writer.post(f"statements/{statement['id']}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{statement['id']}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{statement['id']}/approve/")
    form = (
        login("alpha_writer")
        .get(f"/clinics/{clinic_a.slug}/statements/{statement['id']}/")
        .content.decode()
    )
    assert "Warning: no connected channel can pin it; only the public statement page" in form


def test_a_failing_batch_tells_its_approvers_once_not_once_per_mention(
    platforms, clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.responses.test_batches import _claim, approved_batch

    # given one correction for three mentions on a Facebook page that is not connected
    _facebook_review(clinic_a, platforms, connected=False)
    cluster_id, _reviews = _claim(clinic_a, 3, kind="facebook")
    writer = as_user("alpha_writer", clinic_a)
    bid, ids = approved_batch(clinic_a, as_user, cluster_id)

    # when all three fail and their notices run
    assert [deliver_in(clinic_a, i) for i in ids] == ["failed"] * 3
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        for i in ids:
            outbox_failure_notify(item_id=i)

    # then the batch's approvers and the owner hear once each, with a link to the batch; the
    # batch's writer, who posts by hand, once: her line asking her to post them by hand (no
    # e-mail of her replies' failure beside it, once the burst is over)
    users = world.users
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=users["alpha_writer"].pk, now=later) == "nothing due"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        u.email
        for u in (
            users["alpha_manager"], users["a_approver"], users["alpha_owner"],
            users["alpha_writer"],
        )
    )  # fmt: skip
    assert not Notification.objects.filter(user=users["alpha_writer"], kind="reply_failed")
    ask = Notification.objects.get(user=users["alpha_writer"], kind="post_by_hand", open=True)
    assert (ask.title, ask.url) == (
        "Post by hand: 3 replies not posted on Sunrise Facebook page (not connected) wait for you",
        f"/clinics/{clinic_a.slug}/replies/batches/{bid}/#batch-posted",
    )
    staff = next(m for m in mailoutbox if m.to == [users["alpha_owner"].email])
    # how many and the claim's words (it said "replies of the batch #1", an internal number)
    assert staff.subject == (
        "[Clinic A] 3 replies to the claim “Riverside Family Dental reuses needles” were not "
        "posted on Sunrise Facebook page"
    )
    assert f"/clinics/{clinic_a.slug}/replies/batches/{bid}/" in staff.body
    source_id = _item(clinic_a, ids[0]).source_id
    # the channel's notice (it waits for the channel to be connected)
    ref = f"outbox-source:{source_id}:waiting"
    # in-app, only the agency's people: nothing waits for the clinic's approver
    assert sorted(
        Notification.objects.filter(ref=ref, open=True).values_list("user_id", flat=True)
    ) == sorted([users["alpha_manager"].pk, users["alpha_owner"].pk])

    # and the notice stays until the last failed reply of the batch is posted (each at its
    # own link); the writer's line counts what is left to post, and closes with it
    for n, i in enumerate(ids[:2]):
        writer.post(f"outbox/{i}/mark-posted/", {"url": f"{POSTED['url']}/{n}"})
    assert Notification.objects.filter(ref=ref, open=True).count() == 2
    ask.refresh_from_db()
    assert ask.open and ask.title.startswith("Post by hand: 1 reply not posted")
    writer.post(f"outbox/{ids[2]}/mark-posted/", {"url": f"{POSTED['url']}/2"})
    assert not Notification.objects.filter(ref=ref, open=True).exists()
    ask.refresh_from_db()
    assert not ask.open
