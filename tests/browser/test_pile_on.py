"""Crisis day, part 2, the pile-on, in a real Chromium with a real Celery worker (scoring on
the `ml` queue, detectors and publishing on `default`) and the fake Google and Facebook: 16
identical false claims "Riverside Family Dental reuses needles" on Google and one viral post
(1,590 engagements) on Facebook become one claim, flagged as misinformation with the fact it
contradicts; the writer answers all 17 with one correction citing the fact sheet; the batch is
approved once per step (the agency, legal when the privacy check asks for it, the clinic's
approver in the portal); the worker publishes 17 replies, each with its status on the batch
page; in the incident room the viral post is first and the claim leads the claims."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Clinic
from clinics.services import clinic_member_add
from crisis.models import Incident
from crisis.services import detector_settings_update
from facts.models import Fact
from facts.services import fact_confirm
from feeds.models import Review
from feeds.services.ingest import items_ingest
from responses.models import AuditEntry, OutboxItem, ReplyBatch, ReplyDraft
from scoring.models import ClaimCluster, ReviewScore
from tests.crisis.conftest import acting
from tests.feeds.fake_platforms import FakePlatforms
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.rows import score_add
from tests.fixtures.tenants import PASSWORD
from tests.fixtures.workers import wait_for
from tests.responses.conftest import source_of

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: the first guard check in a fresh server loads the privacy guard
CLAIM = "Riverside Family Dental reuses needles"
VIRAL = "Riverside Family Dental reuses needles on patients. Share before they delete this!"
FACT = (
    "We never reuse needles: every needle and syringe we use is single-use, sealed, and used "
    "for one patient only."
)


@pytest.fixture
def fake():
    platforms = FakePlatforms().start()
    try:
        yield platforms
    finally:
        platforms.stop()


def _mentions(tenant, fake) -> tuple[list[int], int]:
    """16 copies on Google (reviews the fake knows) and the viral post on Facebook, pushed
    through ingestion (which queues scoring): (the copies' ids, the viral post's id)."""
    google_ids = fake.add_google_reviews(16, rating=1, text=CLAIM)
    post_id = fake.add_facebook_post(VIRAL, by_page=False)
    now = timezone.now()
    items = [
        {"source": "google", "external_id": ext, "author": f"Reviewer {i}", "rating": 1,
         "text": CLAIM, "published_at": (now - timedelta(minutes=40 - 2 * i)).isoformat(),
         "likes": i % 2}
        for i, ext in enumerate(google_ids)
    ] + [
        {"source": "facebook", "external_id": post_id, "author": "Viral Poster", "text": VIRAL,
         "published_at": (now - timedelta(minutes=20)).isoformat(), "likes": 1200,
         "shares": 300, "replies": 90}
    ]  # fmt: skip
    with tenant.schema():
        source_of("google", fake)
        source_of("facebook", fake)
        report = items_ingest(raw_items=items)
        assert [r["status"] for r in report.results] == ["created"] * 17, report.results
        ids = dict(Review.objects.values_list("external_id", "pk"))
    return [ids[e] for e in google_ids], ids[post_id]


def test_sixteen_copies_and_a_viral_post_get_one_correction_approved_once_per_step(
    browser_server, new_page, committed_tenant, celery_worker_process, fake
):
    # given Riverside Family Dental with its fact sheet, a legal person on its crisis team,
    # watching "needles", and a worker that scores, clusters, detects and publishes
    tenant = committed_tenant()
    clinic, users = tenant.clinic, tenant.users
    Clinic.objects.filter(pk=clinic.pk).update(name="Riverside Family Dental")
    users["legal"] = clinic_member_add(
        clinic=clinic, email=f"legal-{clinic.slug}@clinic.test", full_name="Clinic Legal",
        role="viewer", crisis_roles=["legal"], password=PASSWORD,
    ).user  # fmt: skip
    with tenant.schema():
        # the clinic confirms the default fact its fact sheet asked it to fill in
        needles = Fact.objects.get(slug="needles-single-use", status="draft")
        fact_confirm(
            fact_id=needles.pk, access=clinic_access(Actor(user=users["owner"]), clinic),
            statement=FACT, source="Sterilisation and infection-control log",
        )  # fmt: skip
        detector_settings_update(actor=acting("test"), watch_words=["needles"])
    celery_worker_process(
        queues="default,ml",
        concurrency=1,
        extra_env={
            "CONNECTOR_BASE_URLS": json.dumps(dict.fromkeys(("google", "facebook"), fake.base_url)),
            "PUBLIC_BASE_URL": browser_server.base_url,
        },
    )

    # when 16 copies of the claim and the viral post arrive
    copies, viral = _mentions(tenant, fake)

    # then they are scored and grouped into one claim, flagged, with the fact it contradicts
    def clustered():
        with tenant.schema():
            scored = ReviewScore.objects.filter(review_id__in=[*copies, viral]).count()
            clusters = list(ClaimCluster.objects.filter(mentions__review_id=viral))
            return scored == 17 and clusters and clusters[0].mentions.count() == 17 and clusters[0]

    cluster = wait_for(clustered, timeout=180, interval=0.5)
    assert cluster, "the 17 mentions were not scored and grouped in time"
    with tenant.schema():
        assert ClaimCluster.objects.count() == 1
        assert cluster.misinformation and "misinformation" in cluster.flags
        assert cluster.contradicts["kind"] == "fact"
        assert cluster.contradicts["slug"] == "needles-single-use"
        assert cluster.fact.slug == "needles-single-use"
        incident = wait_for(lambda: Incident.objects.first(), timeout=60)
    assert incident, "no incident was opened"

    # when the writer opens the inbox: one claim, 17 mentions, all its reach, the fact
    writer = new_page("desktop")
    sign_in(writer, browser_server, users["writer"], totp=tenant.devices["writer"])
    writer.goto(browser_server.url(f"/clinics/{clinic.slug}/inbox/"))
    row = writer.locator(f"#claim-{cluster.pk}")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == CLAIM
    assert cells[1:3] == ["17", str(8 + 1590)]
    assert "Misinformation" in cells[4] and "fact: needles-single-use" in cells[5]
    assert writer.locator("#claims tbody tr").count() == 1
    assert serious_violations(writer) == []
    screenshot(writer, "pile-on-inbox-claims")
    # sorting by reach puts the viral post first; the flag filter finds all 17
    writer.goto(
        browser_server.url(f"/clinics/{clinic.slug}/inbox/?order=reach&flag=misinformation")
    )
    assert VIRAL[:40] in writer.locator("#reviews tbody tr").first.inner_text()
    assert writer.locator("#reviews input[name=review]").count() == 17

    # when the writer answers all 17 with the fact the claim contradicts
    writer.goto(browser_server.url(f"/clinics/{clinic.slug}/inbox/"))
    assert row.get_by_label("Answer with").input_value() == "fact:needles-single-use"
    row.get_by_role("button", name="Answer all 17").click()
    writer.get_by_role("heading", name="One reply to 17 mentions").wait_for(timeout=SLOW)
    assert writer.locator("#batch-items tbody tr").count() == 17
    assert writer.locator('#batch-items tr[data-state="waiting"]').count() == 17
    with tenant.schema():
        batch = ReplyBatch.objects.get()
        texts = set(ReplyDraft.objects.filter(batch=batch).values_list("versions__text", flat=True))
    assert len(texts) == 1 and FACT.rstrip(".") in texts.pop()
    screenshot(writer, "pile-on-batch-draft")
    writer.get_by_role("button", name="Submit for approval").click()
    writer.wait_for_load_state()
    with tenant.schema():
        batch.refresh_from_db()
    assert batch.status == "pending_agency"
    legal_step = "legal" in batch.route
    assert batch.route == ["agency", *(["legal"] if legal_step else []), "client"]
    assert legal_step == (batch.guard_verdict == "needs_review")

    # the agency approves the batch once, from its queue
    owner = new_page("desktop")
    sign_in(owner, browser_server, users["owner"], totp=tenant.devices["owner"])
    owner.goto(browser_server.url(f"/clinics/{clinic.slug}/replies/"))
    card = owner.locator(f"#batch-card-{batch.pk}")
    assert "Factual correction to 17 mentions" in card.inner_text()
    card.get_by_role("button", name="Approve version 1").click()
    owner.wait_for_load_state()

    # legal, when the privacy check asked for it, approves it once in the portal
    if legal_step:
        legal = new_page("desktop")
        sign_in(legal, browser_server, users["legal"])
        legal.goto(browser_server.url(f"/clinics/{clinic.slug}/portal/review/"))
        legal.locator(f"#card-batch-{batch.pk}").get_by_role("button", name="Approve").click()
        legal.locator(f"#card-batch-{batch.pk}").get_by_role("status").wait_for(timeout=SLOW)

    # the clinic's approver sees one card for the 17 mentions and approves once
    phone = new_page("phone")
    sign_in(phone, browser_server, users["approver"])
    phone.goto(browser_server.url(f"/clinics/{clinic.slug}/portal/approvals/"))
    assert phone.get_by_text("1 reply waits for your approval.").is_visible()
    client_card = phone.locator(f"#card-batch-{batch.pk}")
    assert "One reply to 17 mentions" in client_card.inner_text()
    client_card.get_by_text("The 17 mentions it answers").click()
    assert client_card.locator(".batch-mentions li").count() == 17
    assert serious_violations(phone) == []
    screenshot(phone, "pile-on-portal-batch-phone")
    client_card.get_by_role("button", name="Approve").click()
    outcome = phone.locator(f"#card-batch-{batch.pk}").get_by_role("status")
    outcome.wait_for(timeout=SLOW)
    # every mention accounted for, by channel (it said "queued for their channels")
    assert outcome.inner_text() == (
        "Approved. 17 replies are queued for facebook source and google source."
    )

    # then one approval per step is recorded, by three different people
    with tenant.schema():
        approvals = list(
            AuditEntry.objects.filter(
                object_type="reply_batch", object_id=batch.pk, action="approved"
            ).values_list("detail__step", "actor_label")
        )
    steps = ["agency", *(["legal"] if legal_step else []), "client"]
    assert [s for s, _ in approvals] == steps
    assert len({a for _, a in approvals}) == len(steps)

    # and the worker publishes the 17 replies, each with its status on the batch page
    def published():
        with tenant.schema():
            states = list(
                OutboxItem.objects.filter(draft__batch=batch).values_list("status", flat=True)
            )
        return len(states) == 17 and set(states) == {"sent"}

    assert wait_for(published, timeout=180, interval=0.5), "the 17 replies were not published"
    writer.goto(browser_server.url(f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/"))
    assert writer.locator('#batch-items tr[data-state="published"]').count() == 17
    assert "17 published" in writer.locator("#batch-tally").inner_text()
    screenshot(writer, "pile-on-batch-published")
    assert len(fake.requests_for("google", method="PUT")) == 16
    fb_posts = [
        r for r in fake.requests_for("facebook", method="POST") if r.path.endswith("/comments")
    ]
    assert len(fb_posts) == 1

    # in the incident room the viral post comes first and the claim leads the claims
    writer.goto(browser_server.url(f"/clinics/{clinic.slug}/incidents/{incident.pk}/"))
    top = writer.get_by_test_id("top-mention")
    assert VIRAL[:40] in top.inner_text()
    first_claim = writer.locator("#room-claims tbody tr").first
    assert first_claim.get_attribute("id") == f"room-claim-{cluster.pk}"
    assert "17 of 17 published" in first_claim.inner_text()
    assert serious_violations(writer) == []
    screenshot(writer, "pile-on-incident-room")
    assert writer.console_errors == [] and phone.console_errors == []
    with schema_context(clinic.schema_name):
        assert ReplyDraft.objects.filter(batch=batch, status="published").count() == 17


def test_a_wrong_detail_is_shown_beside_the_claim_on_desktop_and_phone(
    browser_server, new_page, committed_tenant
):
    """A claim that gets the opening hours wrong shows what the post says and what the fact
    says, in the inbox and the incident room, readable at phone width."""
    from scoring.claims.services import claims_cluster

    tenant = committed_tenant()
    clinic = tenant.clinic
    hours = "We are open Monday to Thursday 8am-6pm, Friday 8am-2pm and Saturday 9am-1pm."
    statement = f"{hours} We are closed on Sundays and public holidays."
    flag = {
        "name": "misinformation", "evidence": ["closes at 4 every weekday"], "probability": 0.93,
        "claim": "Riverside closes at 4 every weekday now",
        "contradicts": {"kind": "fact", "slug": "opening-hours", "statement": statement,
                        "similarity": 0.86, "detail": {"kind": "time", "post": "closes at 4",
                                                       "fact": hours}},
    }  # fmt: skip
    now = timezone.now()
    with tenant.schema():
        source = source_of("google")
        reviews = [
            Review.objects.create(
                source=source,
                external_id=f"hours-{i}",
                author_name=f"Reviewer {i}",
                rating=2,
                text="Riverside closes at 4 every weekday now, useless if you work",
                published_at=now - timedelta(minutes=30 - i),
                likes=i,
            )  # fmt: skip
            for i in range(3)
        ]
        for review in reviews:
            score_add(
                review=review, model_version="browser", label="negative", score=-0.6,
                flags=[flag],
            )  # fmt: skip
        claims_cluster(review_ids=[r.pk for r in reviews], embed=None)
        cluster = ClaimCluster.objects.get()
        incident = Incident.objects.create(
            kind="misinformation", key="hours", title="Wrong opening hours spread",
            severity="medium", trigger={}, opened_at=now, last_detected_at=now,
        )  # fmt: skip
        for review in reviews:
            incident.mentions.through.objects.create(incident=incident, review=review, added_at=now)
    said = "The post says “closes at 4” (time); the fact says: We are open Monday to Thursday"
    for viewport in ("desktop", "phone"):
        page = new_page(viewport)
        sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
        page.goto(browser_server.url(f"/clinics/{clinic.slug}/inbox/"))
        row = page.locator(f"#claim-{cluster.pk}")
        assert "the post says “closes at 4”" in row.inner_text()
        assert serious_violations(page) == []
        # nothing wider than the screen: the bulk actions and the answer form wrap on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, f"pile-on-wrong-detail-inbox-{viewport}")
        page.goto(browser_server.url(f"/clinics/{clinic.slug}/incidents/{incident.pk}/"))
        detail = page.locator(f"#room-claim-{cluster.pk} .wrong-detail")
        assert detail.is_visible() and said in detail.inner_text()
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, f"pile-on-wrong-detail-room-{viewport}")
        assert page.console_errors == []


def test_the_batch_page_guards_as_one_types_and_submit_follows_the_typed_text(
    browser_server, new_page, committed_tenant
):
    """Walk-through 6 (#9, #1): the batch editor checks the typed text as the single-reply
    editor does. A blocked text turns Submit off with the reason; a text too long for X too;
    once the text is fixed Submit is on again without saving first, and submits that text."""
    from responses.services.batches import reply_batch_create

    tenant = committed_tenant()
    clinic, users = tenant.clinic, tenant.users
    now = timezone.now()
    with tenant.schema():
        reviews = [
            Review.objects.create(
                source=source_of(kind),
                external_id=f"live-{i}",
                author_name=f"Reviewer {i}",
                text=CLAIM,
                published_at=now - timedelta(minutes=10 + i),
            )  # fmt: skip
            for i, kind in enumerate(("google", "x"))
        ]
        batch = reply_batch_create(
            access=clinic_access(Actor(user=users["writer"]), clinic),
            review_ids=[r.pk for r in reviews], kind="reply",
        )  # fmt: skip
    page = new_page("desktop")
    sign_in(page, browser_server, users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/"))
    area, submit = page.locator("#batch-text-area"), page.locator("#submit-button")
    reason, live = page.locator("#submit-reason"), page.locator("#guard-live")

    # a defensive text: the guard asks for a review, as one types
    area.fill("{greeting} this claim is completely false and frankly irresponsible.")
    live.get_by_text("Needs review").first.wait_for(timeout=SLOW)

    # a blocked text: Submit is off, and says why
    area.fill("{greeting} we checked our records and your visit went fine.")
    live.get_by_text("Blocked").first.wait_for(timeout=SLOW)
    assert submit.is_disabled()
    assert "the guard blocks this text" in reason.inner_text()

    # a text too long for X: Submit is off, naming the mention
    area.fill("{greeting} thank you for raising this. " * 10)
    page.locator("#submit-reason", has_text="over the 280 X allows").wait_for(timeout=SLOW)
    assert submit.is_disabled()
    assert "Reviewer 1 on X" in live.inner_text()

    # fixed: Submit is on again without saving, and submits the typed text
    area.fill("{greeting} thank you for raising this. Please contact us so we can help.")
    page.locator("#submit-button:not([disabled])").wait_for(timeout=SLOW)
    assert reason.inner_text() == ""
    submit.click()
    page.locator("#batch-status").get_by_text("Waiting for the agency").wait_for(timeout=SLOW)
    with tenant.schema():
        batch.refresh_from_db()
        assert batch.version == 2 and batch.status == "pending_agency"
    assert serious_violations(page) == []
    screenshot(page, "pile-on-batch-live-guard")
    assert page.console_errors == []
