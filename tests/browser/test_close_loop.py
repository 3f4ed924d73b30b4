"""Crisis day, part 3 — closing the loop, in a real Chromium with a real Celery worker and the
fake Facebook (tests/feeds/fake_platforms.py) and Slack (tests/crisis/fake_chat.py) on local
ports:

approved replies to a Facebook page that is not connected (connecting is set up on this
server) → each fails, visibly (the incident room's red count and its deliveries, the dashboard
row's red count, the outbox with what to do) and the people who approved them and the agency's
owner are told once for the channel (in-app, e-mail, Slack), the writer of each reply for
information → the page is connected with the "Connect Facebook / Instagram" button (OAuth
against the fake Facebook) → the worker sends again what waited for it, and each reply shows as posted
with Facebook's id → a private follow-up is sent on Messenger and answered → resolving is
refused while items are open (the room lists them), then resolved anyway with a written
reason → the post-crisis review's windows, figures and timeline match the scenario's times."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor
from clinics.access import clinic_access
from core.queueing import tasks_enqueue
from crisis.metrics import review_metrics
from crisis.models import EventKind, Incident, IncidentEvent
from crisis.services import detector_settings_update, detectors_run, incident_statement_draft
from crisis.services.alerting import chat_webhook_set
from crisis.timeline import review_timeline
from feeds.models import Review, Source
from feeds.services import source_create
from responses.models import OutboxItem, ReplyDraft, Statement
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from tests.crisis.fake_chat import FakeChat
from tests.feeds.fake_platforms import FakePlatforms
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.workers import wait_for
from tests.portal.helpers import reply_waiting_for_clinic

pytestmark = pytest.mark.browser
PAGE_NAME = "Lakeside Facebook page"
CLAIMS = [
    ("They reuse needles at this clinic, I saw it myself.", 150),  # high reach
    ("Heard they reuse needles here!! Stay away.", 3),
    ("My cousin says the nurses reuse needles. How is this allowed?", 2),
    ("Reuse needles?? Reporting them to the health department.", 0),
]
REPLIES = [
    "Thank you for raising this. Every needle here is used once and then thrown away safely.",
    "Thank you for asking. We never reuse needles: each one is used once, then discarded.",
    "Thanks for your message. Needles are single-use here, always. Call +1 555 0100 to talk.",
]
REASON = "Surge over since the replies went out and the statement is pinned; closing now."
STATEMENT = (
    "Every needle at Lakeside Clinic is used once and then thrown away safely. We are glad to "
    "explain our safety rules to anyone who asks: call +1 555 0100."
)


def _as(user, clinic):
    return clinic_access(Actor(user=user), clinic)


def _setup(tenant, fake: FakePlatforms) -> tuple[Incident, list[ReplyDraft]]:
    """The clinic's Facebook page without its token, four comments repeating the claim (the
    fake knows them), the incident the watch word opens, and three replies approved by the
    agency and waiting for the clinic."""
    clinic, users = tenant.clinic, tenant.users
    with tenant.schema():
        source = source_create(
            kind="facebook", name=PAGE_NAME, settings=fake.settings("facebook"), credentials={}
        )
        post = fake.add_facebook_post("Our flu clinic opens on Monday.")
        now = timezone.now()
        reviews = []
        for i, (text, likes) in enumerate(CLAIMS):
            [comment] = fake.add_facebook_comments(post, text=text)
            reviews.append(
                Review.objects.create(
                    source=source,
                    external_id=comment,
                    kind="comment",
                    author_name=f"Commenter {i}",
                    text=text,
                    likes=likes,
                    published_at=now - timedelta(minutes=40 - 5 * i),
                )  # fmt: skip
            )
        detector_settings_update(actor=Actor.of_system("test", "Setup"), watch_words=["needles"])
        [incident] = detectors_run(notify=False)
    drafts = [
        reply_waiting_for_clinic(
            clinic=clinic,
            review=review,
            writer=users["writer"],
            manager=users["owner"],
            text=text,
        )  # fmt: skip
        for review, text in zip(reviews, REPLIES, strict=False)
    ]
    return incident, drafts


def _beat(task: str) -> None:
    """What beat does every 30 s in production (the tests run no beat)."""
    assert tasks_enqueue(task, [()]) == 1


def test_failed_deliveries_are_seen_told_retried_once_connected_and_resolve_waits_for_them(
    browser_server, browser_platforms, new_page, committed_tenant, celery_worker_process
):
    tenant = committed_tenant()
    server = browser_server
    fake = browser_platforms  # the server's fake: its Connect buttons and connectors use it
    chat = FakeChat().start()
    try:
        chat_webhook_set(
            agency_id=tenant.agency.pk,
            clinic=None,
            kind="slack",
            url=f"{chat.base_url}/slack",
            actor=Actor.of_system("test", "Setup"),
        )
        incident, drafts = _setup(tenant, fake)
        celery_worker_process(
            queues="default",
            concurrency=1,
            extra_env={
                **fake.env,
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(server.mail_dir),
                "PUBLIC_BASE_URL": server.base_url,
            },
        )  # fmt: skip
        _scenario(server, new_page, tenant, fake, chat, incident, drafts)
    finally:
        chat.stop()


def _scenario(server, new_page, tenant, fake, chat, incident, drafts):
    clinic, users = tenant.clinic, tenant.users
    slug = clinic.slug
    room_url = server.url(f"/clinics/{slug}/incidents/{incident.pk}/")

    # --- the last approval names the channel and warns that it is not connected -----------
    phone = new_page((390, 844))
    sign_in(phone, server, users["approver"])
    phone.goto(server.url(f"/clinics/{slug}/portal/approvals/"))
    first = phone.locator(f"#card-reply-{drafts[0].pk}")
    plan = first.get_by_test_id("channel-plan")
    assert "Your approval is the last one; it then goes to:" in plan.inner_text()
    assert "not connected" in plan.inner_text()
    # in the client's words: nothing for them to do about it, and no connector jargon
    assert "Your agency has not connected it yet." in plan.inner_text()
    assert "nothing else is needed from you" in plan.inner_text()
    assert "page token" not in plan.inner_text()
    screenshot(phone, "close-loop-approval-warns-not-connected")
    first.get_by_role("button", name="Approve").click()
    outcome = phone.locator(f"#card-reply-{drafts[0].pk}").get_by_role("status")
    outcome.wait_for(timeout=15_000)
    # in the client's words, without the connector's reason ("the page token is missing")
    assert outcome.inner_text() == (
        f"Approved. Not posted yet: {PAGE_NAME} is not connected. Your agency connects it (it "
        "is then posted by itself) or posts it there by hand; nothing is needed from you."
    )
    assert "published" not in outcome.inner_text()
    # the other two are approved by the clinic too (the same service the button calls)
    with tenant.schema():
        for draft in drafts[1:]:
            reply_services.reply_approve(draft_id=draft.pk, access=_as(users["approver"], clinic))

    # --- each fails, visibly ---------------------------------------------------------------
    def items():
        with tenant.schema():
            return list(OutboxItem.objects.order_by("pk").values_list("status", "failure_kind"))

    assert wait_for(lambda: items() == [("failed", "not_connected")] * 3, timeout=60), items()
    with tenant.schema():
        ours = set(Review.objects.values_list("external_id", flat=True))

    def replies_written() -> list:
        """What reached the fake Facebook for this clinic's comments (the fake is shared by the
        session's browser tests)."""
        return [
            w for w in fake.writes("facebook")
            if w.path.endswith("/comments") and w.path.split("/")[-2] in ours
        ]  # fmt: skip

    assert replies_written() == []

    owner = new_page("desktop")
    sign_in(owner, server, users["owner"], totp=tenant.devices["owner"])
    owner.goto(room_url)
    red = owner.get_by_test_id("room-failed-deliveries")
    assert red.inner_text() == "3 failed deliveries"
    deliveries = owner.locator("#deliveries-h + p + ul")
    assert deliveries.locator('[data-state="failed"]').count() == 3
    text = deliveries.inner_text()
    # one account of it (responses.selectors.failure_advice), for a reader who may connect it
    assert f"Not sent — {PAGE_NAME} is not connected." in text
    assert "Technical detail: Facebook: the page token is missing." in text
    assert f"What to do: Connect {PAGE_NAME} on the Sources page; it is then sent by itself." in (
        text
    )
    screenshot(owner, "close-loop-room-failed")
    assert serious_violations(owner) == []

    # the dashboard row's red count (the refresh each failure queued, or beat's sweep)
    def dashboard_count() -> str:
        owner.goto(server.url("/agency/"))
        cell = owner.locator(f'tr[data-clinic="{slug}"] [data-testid="failed-deliveries"]')
        return cell.inner_text() if cell.count() else ""

    if not wait_for(lambda: dashboard_count() == "3", timeout=20, interval=2):
        _beat("dashboard.tasks.clinic_snapshots_sweep")
    assert wait_for(lambda: dashboard_count() == "3", timeout=30, interval=2), dashboard_count()
    screenshot(owner, "close-loop-dashboard-red-count")

    # --- the approvers and the agency's owner are told: e-mail, in-app, Slack ----------------
    # once for the channel while it stays unconnected (it was once per reply: 3 e-mails each
    # and 3 Slack posts); the later failures are added to the same notice
    def told(user) -> list:
        return [m for m in server.mails(to=user.email) if "Not posted on" in m["Subject"]]

    def writers_notes() -> list:
        """The writer's e-mails about her replies that were not posted: she posts by hand, so
        one, the line asking her to post them by hand (told with the first, counting the
        others since); no "were not posted" e-mail for her information beside it."""
        return [m for m in server.mails(to=users["writer"].email) if "not posted" in m["Subject"]]

    assert wait_for(lambda: len(told(users["owner"])) == 1, timeout=30)
    assert len(told(users["owner"])) == 1 and len(told(users["approver"])) == 1
    # the writer (approved none) hears of each of her replies, for information only
    assert told(users["writer"]) == []
    mail = told(users["owner"])[0]
    assert str(mail["Subject"]).strip().startswith(f"[{clinic.name}] Not posted on {PAGE_NAME}")
    assert f"/clinics/{slug}/outbox/#" in mail.get_content()
    assert all(claim not in mail.get_content() for claim, _ in CLAIMS)  # no review text
    assert wait_for(lambda: len(chat.to("/slack")) == 1, timeout=20)
    slack = chat.to("/slack")[0]["json"]
    assert slack["blocks"][1]["elements"][0]["text"]["text"] == "Open the outbox"
    owner.goto(room_url)
    waiting = owner.locator(".waiting-note")
    # the channel's notice counts all three
    assert f"Not posted on {PAGE_NAME}: 3 replies wait until it is connected" in (
        waiting.inner_text()
    )

    # the outbox says the same, with the form to post by hand
    owner.goto(server.url(f"/clinics/{slug}/outbox/"))
    assert owner.get_by_test_id("failure-reason").count() == 3
    assert owner.get_by_role("button", name="I posted it by hand").count() == 3

    # --- resolving is refused while items are open ------------------------------------------
    owner.goto(room_url)
    checklist = owner.get_by_test_id("resolve-checklist")
    assert checklist.locator('[data-key="deliveries"][data-open="1"]').count() == 1
    assert "3 failed, 0 not confirmed yet" in checklist.inner_text()
    owner.get_by_role("button", name="Resolve anyway").click()
    owner.wait_for_load_state()
    # said at the form (on a phone the top of the room is screens away from it)
    refused = owner.get_by_test_id("form-refused").inner_text()
    assert "Not all clear: resolve anyway with a reason" in refused
    assert "3 failed, 0 not confirmed yet" in refused
    with tenant.schema():
        assert Incident.objects.get(pk=incident.pk).status == "open"

    # --- a statement from the room: the pin form warns that the page is not connected ------
    with tenant.schema():
        statement = incident_statement_draft(
            incident_id=incident.pk, access=_as(users["writer"], clinic),
            title="About needles at Lakeside", body=STATEMENT,
        )  # fmt: skip
        statement_services.statement_submit(
            statement_id=statement.pk, access=_as(users["writer"], clinic)
        )
        for approver in ("owner", "approver"):
            statement_services.statement_approve(
                statement_id=statement.pk, access=_as(users[approver], clinic)
            )
    statement_url = server.url(f"/clinics/{slug}/statements/{statement.pk}/")
    owner.goto(statement_url)
    plan = owner.get_by_test_id("channel-plan")
    assert "posts and pins it on:" in plan.inner_text()
    assert "not connected" in plan.inner_text()
    assert "Warning: Facebook: the page token is missing." in plan.inner_text()
    screenshot(owner, "close-loop-statement-warns-not-connected")

    # --- the page is connected with the Connect button: what waited is sent again, once -----
    sources = server.url(f"/clinics/{slug}/sources/")
    owner.goto(sources)
    owner.get_by_role("button", name="Connect Facebook / Instagram", exact=True).click()
    owner.wait_for_load_state()
    assert owner.url.startswith(fake.base_url + "/v21.0/dialog/oauth?"), owner.url
    owner.get_by_role("button", name="Allow").click()
    owner.wait_for_load_state()
    assert re.search(r"/sources/connect/\d+/$", owner.url), owner.url
    # the clinic's page (the one its source already names) is preselected
    owner.get_by_role("button", name="Connect this page").click()
    owner.wait_for_load_state()
    assert owner.url == sources
    screenshot(owner, "close-loop-page-connected")
    with tenant.schema():
        source = Source.objects.get(kind="facebook", name=PAGE_NAME)
        assert source.credentials_encrypted != ""

    def posted() -> bool:
        with tenant.schema():
            return ReplyDraft.objects.filter(status="published").count() == 3

    assert wait_for(posted, timeout=60), items()
    assert len(replies_written()) == 3
    with tenant.schema():
        sent = list(OutboxItem.objects.order_by("pk"))
    assert [i.status for i in sent] == ["sent"] * 3
    for item, reply in zip(sent, REPLIES, strict=True):
        assert fake.fb_comments[item.external_id]["message"] == reply
    owner.goto(room_url)
    assert owner.get_by_test_id("room-failed-deliveries").count() == 0
    deliveries = owner.locator("#deliveries-h + p + ul")
    assert deliveries.locator('[data-state="posted"]').count() == 3
    assert sent[0].external_id in deliveries.inner_text()
    screenshot(owner, "close-loop-room-posted")
    # and the notices left everyone's banner
    assert owner.locator(".waiting-note").count() == 0 or (
        f"Not posted on {PAGE_NAME}" not in owner.locator(".waiting-note").inner_text()
    )
    # the dashboard's count goes back to 0
    if not wait_for(lambda: dashboard_count() == "", timeout=20, interval=2):
        _beat("dashboard.tasks.clinic_snapshots_sweep")
    assert wait_for(lambda: dashboard_count() == "", timeout=30, interval=2)

    # --- a private follow-up to the unanswered mention: sent on Messenger, answered --------
    with tenant.schema():
        quiet = Review.objects.get(text=CLAIMS[3][0])
    psid = fake.fb_comments[quiet.external_id]["from"]["id"] + "99"
    fake.messenger_webhook_url = server.url(f"/hooks/{slug}/{source.pk}/messenger/")
    writer = new_page("desktop")
    sign_in(writer, server, users["writer"], totp=tenant.devices["writer"])
    writer.goto(server.url(f"/clinics/{slug}/replies/review/{quiet.pk}/"))
    card = writer.locator("#follow-up")
    card.get_by_label("Channel").select_option(label="Facebook private message")
    card.get_by_role("button", name="Start follow-up").click()
    # (the browser keeps the form's "#follow-up" across the redirect)
    writer.wait_for_url(re.compile(rf"/clinics/{slug}/follow-ups/\d+/(#.*)?$"), timeout=60_000)
    assert writer.get_by_test_id("follow-up-status").inner_text() == "Invited"
    invitations = [
        r for r in fake.requests_for("facebook", "POST", path="/messages")
        if (r.json or {}).get("recipient") == {"comment_id": quiet.external_id}
    ]  # fmt: skip
    assert len(invitations) == 1
    fake.facebook_person_writes(psid, "Thanks for writing. Yes, please call me after 5 pm.")
    assert wait_for(
        lambda: (
            writer.reload() or writer.get_by_test_id("follow-up-status").inner_text() == "Replied"
        ),
        timeout=20,
        interval=1,
    )
    assert "please call me after 5 pm" in writer.get_by_test_id("message-in").inner_text()
    screenshot(writer, "close-loop-follow-up-answered")

    # --- the statement is published: it says "queued", and "posted" once Facebook confirms --
    owner.goto(statement_url)
    plan = owner.get_by_test_id("channel-plan")
    assert f"{PAGE_NAME}: connected" in plan.inner_text()
    owner.get_by_role("button", name="Publish and pin").click()
    owner.wait_for_load_state()
    said = owner.locator("p.flash").inner_text()
    assert said in (
        f"Published on the public statement page. Queued for {PAGE_NAME}: it shows as posted "
        "once the platform confirms.",
        f"Published on the public statement page. Posted on {PAGE_NAME}.",
    ), said
    assert "being pinned" not in said

    def pinned() -> list[str]:
        with tenant.schema():
            return list(
                OutboxItem.objects.filter(statement_id=statement.pk, status="sent").values_list(
                    "external_id", flat=True
                )
            )

    assert wait_for(pinned, timeout=30)
    assert pinned()[0] in fake.fb_pinned
    owner.goto(room_url)
    assert f"Posted on {PAGE_NAME}." in owner.locator("#statement-h + p + ul").inner_text()

    # --- still not all clear (the detector fires): resolve anyway, with a reason -------------
    checklist = owner.get_by_test_id("resolve-checklist")
    assert checklist.locator('[data-key="mentions"][data-open="0"]').count() == 1
    assert checklist.locator('[data-key="deliveries"][data-open="0"]').count() == 1
    assert checklist.locator('[data-key="statement"][data-open="0"]').count() == 1
    assert checklist.locator('[data-key="detector"][data-open="1"]').count() == 1
    owner.get_by_label(re.compile("^Resolve anyway: why")).fill(REASON)
    owner.get_by_role("button", name="Resolve anyway").click()
    owner.wait_for_load_state()
    assert owner.get_by_test_id("status").inner_text() == "Resolved"
    assert REASON in owner.get_by_test_id("resolved-anyway").inner_text()
    screenshot(owner, "close-loop-resolved-anyway")
    with tenant.schema():
        event = IncidentEvent.objects.get(
            incident_id=incident.pk, kind=EventKind.STATUS_CHANGED, data__to="resolved"
        )
    assert event.data["override_reason"] == REASON
    assert len(event.data["open_items"]) == 1
    assert event.data["open_items"][0].startswith(
        "At its last check the detector still sees the crisis"
    )
    assert event.actor == "Agency Owner"

    # the writer heard of her three replies in one e-mail: the line asking her to post them
    # by hand (no "were not posted" e-mail beside it once the burst of failures was over)
    assert wait_for(lambda: len(writers_notes()) == 1, timeout=120, interval=2)
    mail = writers_notes()[0]
    assert str(mail["Subject"]).strip().startswith(f"[{clinic.name}] Post by hand: ")
    assert f"/clinics/{slug}/" in mail.get_content()

    # --- the post-crisis review: its windows, figures and timeline, as the scenario went ----
    with tenant.schema():
        incident = Incident.objects.get(pk=incident.pk)
        first_mention = Review.objects.order_by("published_at").first().published_at
        first_reply = ReplyDraft.objects.order_by("published_at").first().published_at
        published = Statement.objects.get(pk=statement.pk).published_at
        metrics = review_metrics(incident)
        lines = review_timeline(incident, clinic)
    resolved, opened = incident.resolved_at, incident.opened_at
    span = resolved - first_mention
    assert metrics["onset_at"] == first_mention.isoformat()
    assert metrics["onset_from"] == "the first mention the alert counted"
    windows = metrics["windows"]
    # before: the week of usual traffic before the first mention
    assert (windows["before"]["start"], windows["before"]["end"]) == (
        (first_mention - max(span, timedelta(days=7))).isoformat(), first_mention.isoformat(),
    )  # fmt: skip
    assert (windows["during"]["start"], windows["during"]["end"], windows["during"]["state"]) == (
        first_mention.isoformat(), resolved.isoformat(), "complete",
    )  # fmt: skip
    assert windows["after"]["start"] == resolved.isoformat()
    assert windows["after"]["state"] == "in_progress"  # it has not fully passed yet
    assert windows["during"]["volume"] == 4 and windows["before"]["volume"] == 0
    assert metrics["window_seconds"] == round(span.total_seconds())
    assert metrics["time_to_first_reply_seconds"] == round((first_reply - opened).total_seconds())
    assert metrics["time_to_statement_seconds"] == round((published - opened).total_seconds())
    assert metrics["time_to_resolve_seconds"] == round((resolved - opened).total_seconds())
    assert (metrics["mentions_answered"], metrics["mentions_linked"]) == (3, 4)
    assert metrics["statements_published"] == 1
    assert metrics["resolve_reason"] == REASON
    categories = {line["category"] for line in lines}
    assert {
        "detection", "approval", "failure", "publication", "follow_up", "resolution",
    } <= categories  # fmt: skip
    failures = [line for line in lines if line["category"] == "failure"]
    assert len(failures) >= 3  # the three replies that did not reach the page
    # and the review page says it was resolved anyway, with the reason
    owner.goto(server.url(f"/clinics/{slug}/incidents/{incident.pk}/review/"))
    assert REASON in owner.content()
    screenshot(owner, "close-loop-review")
