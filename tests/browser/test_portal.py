"""The client portal in a real Chromium: a clinic approver on a phone approves two replies and
rejects one with a comment; a real Celery worker publishes the approved ones to the fake
Google, exactly once each. Keyboard-only approval; axe-core on every portal page; a
screenshot of each main page (tests/browser/screenshots/)."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from crisis.models import Incident, IncidentEvent, IncidentStatement
from crisis.services import review_send
from responses.models import AuditEntry, OutboxItem, ReplyDraft, Statement
from responses.services.outbox import outbox_deliver
from tests.feeds.fake_platforms import FakePlatforms
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.rows import score_add
from tests.fixtures.workers import wait_for
from tests.portal.helpers import REPLIES, reply_waiting_for_clinic, statement_waiting_for_clinic
from tests.responses.backlog import backlog_create
from tests.responses.conftest import BLOCK_TEXT, review_in

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: the first approval in a fresh server loads the privacy guard


@pytest.fixture
def fake_google():
    fake = FakePlatforms().start()
    try:
        yield fake
    finally:
        fake.stop()


def _three_waiting(tenant, fake=None) -> list[ReplyDraft]:
    texts = [
        "Waited over an hour past my appointment time. Nobody apologised.",
        "Billing sent me the wrong invoice twice and nobody calls back.",
        "Parking is a nightmare and the front desk was rude.",
    ]
    drafts = []
    for review_text, (text, edit) in zip(texts, REPLIES, strict=True):
        review = review_in(tenant.clinic, "google", fake=fake, text=review_text)
        # the second one's first draft, which the privacy check flagged, stayed in the agency
        internal = None if edit else text
        drafts.append(
            reply_waiting_for_clinic(
                clinic=tenant.clinic,
                review=review,
                writer=tenant.users["writer"],
                manager=tenant.users["owner"],
                text=BLOCK_TEXT if internal else text,
                edit_to=edit,
                internal_edit_to=internal,
            )  # fmt: skip
        )
    return drafts


def _portal(server, tenant, path="") -> str:
    return server.url(f"/clinics/{tenant.clinic.slug}/portal/{path}")


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    wide = page.evaluate(
        "(w) => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 1)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +"
        " Math.round(e.getBoundingClientRect().right))",
        viewport,
    )
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px viewport: {wide}"


def test_a_client_approves_two_replies_and_rejects_one_on_a_phone_and_each_is_published_once(
    browser_server, new_page, committed_tenant, fake_google, celery_worker_process
):
    # given three replies waiting for the clinic, to reviews the fake Google knows
    tenant = committed_tenant()
    first, second, third = _three_waiting(tenant, fake_google)
    worker = celery_worker_process(
        queues="default",
        extra_env={"CONNECTOR_BASE_URLS": json.dumps(dict.fromkeys(
            ("google", "facebook", "yelp"), fake_google.base_url))},
    )  # fmt: skip
    assert worker.proc.poll() is None

    # when the clinic's approver signs in on a phone (no 2FA: optional for clients)
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(_portal(browser_server, tenant, "approvals/"))
    # then the three replies are there, each with the guard's verdict and what changed
    assert page.get_by_role("heading", name="Replies to approve").is_visible()
    assert page.get_by_text("3 replies wait for your approval.").is_visible()
    cards = {d.pk: page.locator(f"#card-reply-{d.pk}") for d in (first, second, third)}
    for card in cards.values():
        assert card.get_by_text("Privacy check:").is_visible()
        assert card.locator(".pill-ok").inner_text() == "Passed"
    assert cards[first.pk].locator("ins").first.inner_text().endswith("call")
    assert (
        cards[first.pk].get_by_text("What changed since version 1, the one you were sent").count()
    )
    # the clinic never received the second one's version 1: nothing is compared with it
    assert cards[second.pk].get_by_text("this is the first version you are sent").is_visible()
    assert cards[second.pk].locator(".diff").count() == 0
    assert "chart" not in cards[second.pk].inner_text()
    _no_horizontal_scroll(page)
    screenshot(page, "portal-approvals-phone")
    assert page.console_errors == []

    # when they approve two and reject the third with a comment
    for draft in (first, second):
        cards[draft.pk].get_by_role("button", name="Approve").click()
        outcome = page.locator(f"#card-reply-{draft.pk}").get_by_role("status")
        outcome.wait_for(timeout=SLOW)
        # queued, not "published": it says posted only once Google confirms (the worker may
        # have confirmed it already by the time the answer is rendered)
        assert outcome.inner_text() in (
            "Approved. Queued for google source: it shows as posted once the platform confirms.",
            "Approved. Posted on google source.",
        )
    # and the page's counts follow without a reload: the line under the heading and the badge
    assert page.get_by_text("1 reply waits for your approval.").is_visible()
    nav = page.get_by_role("navigation", name="Portal")
    replies_link = nav.locator('a[aria-current="page"]')  # still marked as the page shown
    assert " ".join(replies_link.text_content().split()) == "Replies (1 waiting for you)"
    # and the two approved replies are listed under "Approved in the last 14 days" at once
    delivered = page.locator("#portal-delivered")
    for draft in (first, second):
        assert delivered.locator(f"#delivered-{draft.pk}").is_visible()
    assert delivered.get_by_text("No reply was approved in the last 14 days.").count() == 0
    cards[third.pk].get_by_label("What should change?").fill(
        "Please do not mention the front desk."
    )
    cards[third.pk].get_by_role("button", name="Reject with this comment").click()
    rejected = page.locator(f"#card-reply-{third.pk}").get_by_role("status")
    rejected.wait_for(timeout=SLOW)
    assert rejected.inner_text() == "Sent back to the agency with your comment."
    assert page.get_by_text("Nothing waits for your approval.").is_visible()
    assert replies_link.text_content().strip() == "Replies"  # no badge left
    # and the "Waiting for you" banner reloads at once, not at its next 5-second poll
    page.wait_for_function(
        "() => !document.querySelector('#alert-banner').textContent.includes('waits for your')",
        timeout=2_000,
    )
    screenshot(page, "portal-approvals-done-phone")
    assert page.console_errors == []

    # then the worker publishes the two approved replies
    def sent():
        with schema_context(tenant.clinic.schema_name):
            items = list(OutboxItem.objects.values_list("draft_id", "status"))
        return items if sorted(s for _, s in items) == ["sent", "sent"] else None

    items = wait_for(sent, timeout=90)
    assert items, "the outbox did not deliver in time"
    assert sorted(d for d, _ in items) == sorted([first.pk, second.pk])
    # exactly once each, even when delivery and the sweeper run again
    with schema_context(tenant.clinic.schema_name):
        for item_id in OutboxItem.objects.values_list("pk", flat=True):
            assert outbox_deliver(item_id=item_id) == "skipped"
        reviews = {
            d.pk: d.review.external_id
            for d in ReplyDraft.objects.select_related("review").filter(
                pk__in=[first.pk, second.pk, third.pk]
            )
        }
        statuses = dict(ReplyDraft.objects.values_list("pk", "status"))
        assert statuses == {first.pk: "published", second.pk: "published",
                            third.pk: "changes_requested"}  # fmt: skip
        assert ReplyDraft.objects.get(pk=third.pk).last_comment == (
            "Please do not mention the front desk."
        )
        audit = AuditEntry.objects.get(object_type="reply", object_id=third.pk, action="rejected")
        assert audit.actor_label == f"user:{tenant.users['approver'].pk}"
    puts = fake_google.requests_for("google", method="PUT")
    per_review = {ext: sum(1 for p in puts if f"/reviews/{ext}/reply" in p.path)
                  for ext in reviews.values()}  # fmt: skip
    assert per_review == {reviews[first.pk]: 1, reviews[second.pk]: 1, reviews[third.pk]: 0}
    assert {p.json["comment"] for p in puts} == {REPLIES[0][1], REPLIES[1][0]}

    # and the queue is empty now
    page.goto(_portal(browser_server, tenant, "approvals/"))
    assert page.get_by_text("Nothing waits for your approval.").is_visible()


def test_keyboard_only_approval(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    first, second, third = _three_waiting(tenant)
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(_portal(browser_server, tenant, "approvals/"))

    def focused() -> dict:
        return page.evaluate(
            "() => ({tag: document.activeElement.tagName, text: document.activeElement.innerText,"
            " id: document.activeElement.id, card: (document.activeElement.closest('article')"
            " || {}).id})"
        )

    # the first Tab reaches the skip link
    page.keyboard.press("Tab")
    assert focused()["text"] == "Skip to content"
    # Tab on to the first card's Approve button (after the skip link, header, nav, summary)
    for _ in range(40):
        page.keyboard.press("Tab")
        now = focused()
        if now["tag"] == "BUTTON" and now["text"].startswith("Approve"):
            break
    else:
        pytest.fail("the Approve button cannot be reached with Tab")
    assert now["card"] == f"card-reply-{first.pk}"
    page.keyboard.press("Enter")
    page.locator(f"#card-reply-{first.pk}").get_by_role("status").wait_for(timeout=SLOW)
    # the focus moves to the outcome, not back to the top of the page
    assert focused()["id"] == f"card-reply-{first.pk}"
    # and on: the next card's comment box, typed into, then its reject button
    for _ in range(20):
        page.keyboard.press("Tab")
        now = focused()
        if now["tag"] == "TEXTAREA":
            break
    assert now["card"] == f"card-reply-{second.pk}"
    page.keyboard.type("Make it shorter, please.")
    page.keyboard.press("Tab")
    assert focused()["text"] == "Reject with this comment"
    page.keyboard.press("Enter")
    page.locator(f"#card-reply-{second.pk}").get_by_role("status").wait_for(timeout=SLOW)
    with schema_context(tenant.clinic.schema_name):
        assert dict(ReplyDraft.objects.values_list("pk", "status")) == {
            first.pk: "approved",
            second.pk: "changes_requested",
            third.pk: "pending_client",
        }
        assert ReplyDraft.objects.get(pk=second.pk).last_comment == "Make it shorter, please."
    assert page.console_errors == []


def test_a_long_queue_pages_on_a_phone_and_a_card_of_page_two_is_approved_in_place(
    browser_server, new_page, committed_tenant
):
    # given 24 replies and a batch of 3 mentions waiting for the clinic (25 cards)
    tenant = committed_tenant()
    with schema_context(tenant.clinic.schema_name):
        drafts, (batch,) = backlog_create(replies=24, batches=1, batch_size=3, tag="phone")
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])

    # when the approver opens the approvals page on a phone
    page.goto(_portal(browser_server, tenant, "approvals/"))

    # then the first 20 cards are shown, the batch first as one card, and counted
    assert page.get_by_text("Showing 1–20 of 25 waiting").is_visible()
    cards = page.locator("article.card[id^='card-']")
    assert cards.count() == 20
    assert cards.first.get_attribute("id") == f"card-batch-{batch.pk}"
    pages = page.get_by_role("navigation", name="Pages of the replies to approve", exact=True)
    assert pages.get_by_text("Page 1 of 2").is_visible()
    following = pages.get_by_role("link", name="Next")
    assert following.bounding_box()["height"] >= 44  # a finger's target
    _no_horizontal_scroll(page)
    assert serious_violations(page) == []

    # when they go to the next page
    following.click()
    page.wait_for_url("**/approvals/?page=2")

    # then the 5 left, the most recent reviews, with a way back
    assert page.get_by_text("Showing 21–25 of 25 waiting").is_visible()
    assert [cards.nth(n).get_attribute("id") for n in range(cards.count())] == [
        f"card-reply-{d.pk}" for d in drafts[19:]
    ]
    assert pages.get_by_role("link", name="Previous").is_visible()
    _no_horizontal_scroll(page)
    screenshot(page, "portal-approvals-page-2-phone")

    # and a card of page 2 is approved in place, the page's count following
    last = page.locator(f"#card-reply-{drafts[-1].pk}")
    last.get_by_role("button", name="Approve").click()
    last.get_by_role("status").wait_for(timeout=SLOW)
    assert page.get_by_text("24 replies wait for your approval.").is_visible()
    with schema_context(tenant.clinic.schema_name):
        assert ReplyDraft.objects.get(pk=drafts[-1].pk).status == "approved"

    # and approving the batch says what is happening while it is sent, in a live region
    page.goto(_portal(browser_server, tenant, "approvals/"))
    card = page.locator(f"#card-batch-{batch.pk}")
    busy = card.get_by_test_id("busy-words")
    assert busy.get_attribute("aria-live") == "polite"
    busy.evaluate(
        "el => { window.busySaid = []; new MutationObserver(() => "
        "el.textContent && window.busySaid.push(el.textContent)).observe(el, "
        "{childList: true, characterData: true, subtree: true}); }"
    )
    card.get_by_role("button", name="Approve").click()
    page.locator(f"#card-batch-{batch.pk}.card-done").wait_for(timeout=SLOW)
    assert page.evaluate("window.busySaid") == ["Approving 3 replies…"]
    assert page.console_errors == []


def _seed_report_data(tenant) -> Incident:
    """A month of scored reviews with some replies, a statement waiting, an open incident."""
    rng = random.Random(7)
    now = timezone.now()
    start = now.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    with schema_context(tenant.clinic.schema_name):
        day = start
        while day < now - timedelta(hours=1):
            for _ in range(rng.randint(0, 6)):
                label = rng.choice(["positive", "positive", "neutral", "negative"])
                review = review_in(tenant.clinic, "csv", text="A visit.", published_at=day)
                type(review).objects.filter(pk=review.pk).update(
                    rating={"positive": 5, "neutral": 3, "negative": 1}[label]
                )
                score_add(
                    review=review, model_version="demo", label=label,
                    score={"positive": 0.7, "neutral": 0.0, "negative": -0.6}[label],
                )  # fmt: skip
                if rng.random() < 0.3:
                    ReplyDraft.objects.create(
                        review=review, status="published", author_label="user:0",
                        published_at=min(now, day + timedelta(minutes=rng.randint(20, 2000))),
                    )  # fmt: skip
            day += timedelta(days=1)
        incident = Incident.objects.create(
            kind="surge", title="Surge of negative reviews about waiting times",
            severity="high", status="open", opened_at=now - timedelta(hours=3),
            last_detected_at=now - timedelta(hours=1),
            trigger={"explanation": "14 negative items in 6 hours against a usual 2."},
        )  # fmt: skip
        IncidentEvent.objects.create(
            incident=incident, kind="opened", message="Opened by the surge detector.",
            at=now - timedelta(hours=3),
        )  # fmt: skip
    statement_waiting_for_clinic(
        clinic=tenant.clinic, writer=tenant.users["writer"], manager=tenant.users["owner"],
        title="About waiting times this week",
        body="Our phone lines were overloaded this week. We added staff; call us any time.",
    )  # fmt: skip
    return incident


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_every_portal_page_is_accessible_and_screenshotted(
    viewport, browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    _three_waiting(tenant)
    incident = _seed_report_data(tenant)
    page = new_page(viewport)
    sign_in(page, browser_server, tenant.users["approver"])
    pages = {
        "home": ("", "Hello"),
        "approvals": ("approvals/", "Replies to approve"),
        "statements": ("statements/", "Statements"),
        "incidents": ("incidents/", "Incidents"),
        "incident": (f"incidents/{incident.pk}/", incident.title),
        "report": ("report/", "Monthly report"),
        "fact-sheet": ("fact-sheet/", "Your fact sheet"),
    }
    for name, (path, heading) in pages.items():
        page.goto(_portal(browser_server, tenant, path))
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading), name
        if name == "report":
            # Chart.js drew the four charts
            page.wait_for_function(
                "() => [...document.querySelectorAll('canvas')].every(c => c.width > 0)"
                " && window.Chart && Object.keys(window.Chart.instances).length === 4"
            )
        assert serious_violations(page) == [], name
        # and no text outside the landmarks (the clinic line was: axe "region")
        moderate = serious_violations(page, impacts=("moderate",))
        assert [v for v in moderate if v["id"] == "region"] == [], name
        assert page.console_errors == [], (name, page.console_errors)
        if viewport == "phone":
            _no_horizontal_scroll(page)
        screenshot(page, f"portal-{name}-{viewport}")
    # the agency's branding: its name in the header, its colour on the bar
    assert page.locator(".portal-brand").inner_text() == tenant.agency.display_name
    bar = page.evaluate(
        "() => getComputedStyle(document.querySelector('.portal-top')).backgroundColor"
    )
    assert bar == "rgb(11, 110, 79)"  # committed_tenant's #0B6E4F
    # the home page counts what waits
    page.goto(_portal(browser_server, tenant, ""))
    assert page.locator(".tile").nth(0).inner_text().startswith("3")
    assert page.locator(".tile").nth(1).inner_text().startswith("1")
    assert page.locator(".tile").nth(2).inner_text().startswith("1")
    with schema_context(tenant.clinic.schema_name):
        assert Statement.objects.get().status == "pending_client"


def test_a_bad_report_month_says_why(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["viewer"])
    response = page.goto(_portal(browser_server, tenant, "report/?month=2026-13"))
    assert response.status == 400
    assert page.get_by_role("alert").inner_text() == (
        "Invalid month. Use the form YYYY-MM, for example 2026-11."
    )
    assert serious_violations(page) == []


def test_the_post_crisis_review_reads_on_a_phone_without_sideways_scrolling(
    browser_server, new_page, committed_tenant
):
    # given a resolved surge with long mentions, a long timeline and a published statement,
    # whose review the agency sent to the clinic
    tenant = committed_tenant()
    now = timezone.now()
    opened = now - timedelta(hours=3)
    long_text = (
        "Heard from three parents that kids got sick after visiting this week, what is going "
        "on at the clinic? https://example.test/a/very/long/link/that/does/not/break/anywhere"
    )
    with schema_context(tenant.clinic.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Negative surge: 14 in 2 h", severity="critical",
            status="resolved", opened_at=opened, last_detected_at=opened,
            resolved_at=now - timedelta(minutes=5),
            trigger={"kind": "surge", "numbers": {"count": 14, "window_minutes": 120,
                                                  "ratio": 672.0}},
        )  # fmt: skip
        for n in range(14):
            review = review_in(
                tenant.clinic, "csv", text=long_text,
                published_at=opened - timedelta(minutes=20) + n * timedelta(minutes=5),
            )  # fmt: skip
            score_add(review=review, model_version="demo", label="negative", score=-0.8)
            incident.mentions.through.objects.create(
                incident=incident, review=review, added_at=opened
            )
            IncidentEvent.objects.create(
                incident=incident, kind="mentions_added", at=opened + n * timedelta(minutes=3),
                message=f"{n + 1} mentions linked: {long_text}",
            )  # fmt: skip
        IncidentEvent.objects.create(
            incident=incident, kind="status_changed", at=now - timedelta(minutes=5),
            message="Resolved anyway: " + long_text, data={"to": "resolved"},
        )  # fmt: skip
    statement = statement_waiting_for_clinic(
        clinic=tenant.clinic, writer=tenant.users["writer"], manager=tenant.users["owner"],
        title="About the rumour of children falling ill after a visit this week",
        body="There is no outbreak at the clinic; our rooms are cleaned between every patient.",
    )  # fmt: skip
    with schema_context(tenant.clinic.schema_name):
        Statement.objects.filter(pk=statement.pk).update(
            status="published", published_at=opened + timedelta(minutes=4)
        )
        IncidentStatement.objects.create(incident=incident, statement=statement, added_at=opened)
        review_send(
            incident_id=incident.pk, clinic=tenant.clinic, actor=Actor.of_system("test", "Test")
        )

    # when the clinic's approver opens it on a 390 px phone
    page = new_page((390, 844))
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(_portal(browser_server, tenant, f"incidents/{incident.pk}/review/"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Post-crisis review")

    # then nothing is wider than the phone: values wrap, the timeline stacks, the tables of
    # numbers scroll inside their own box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    _no_horizontal_scroll(page)
    box = page.locator("[data-windows]").locator("xpath=..").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    first = page.locator("[data-figure='time_to_first_public_response'] td").inner_text()
    assert first.startswith("4 minutes after the alert: the statement “About the rumour")
    assert serious_violations(page) == []
    assert page.console_errors == []
    screenshot(page, "portal-post-crisis-review-phone")
