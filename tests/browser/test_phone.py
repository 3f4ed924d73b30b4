"""Phone (390 px): legal overrides a privacy block in the portal and the clinic's approver
approves the reply, each without sideways scrolling, each with buttons that work; axe finds
no serious or critical violation on legal's review page."""

from __future__ import annotations

import pytest

from clinics.services import clinic_member_add
from responses.models import ReplyDraft
from responses.services import replies as reply_services
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.tenants import PASSWORD
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, review_in

pytestmark = pytest.mark.browser
PHONE = (390, 844)
REASON = "The reviewer published their own chart details; approved by counsel."
SLOW = 15_000


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url}: {width}px wide"


def test_legal_override_and_client_approval_work_on_a_phone(
    browser_server, new_page, committed_tenant
):
    # given a reply the privacy check blocks, and the clinic's legal person
    tenant = committed_tenant()
    clinic, users = tenant.clinic, tenant.users
    users["legal"] = clinic_member_add(
        clinic=clinic, email=f"legal-{clinic.slug}@clinic.test", full_name="Clinic Legal",
        role="viewer", crisis_roles=["legal"], password=PASSWORD,
    ).user  # fmt: skip
    review = review_in(clinic, "csv", text="They lost my chart and nobody called back.")
    with tenant.schema():
        draft = reply_services.reply_draft_create(
            review_id=review.pk, access=access_for(users["writer"], clinic), text=BLOCK_TEXT
        )
        # its writer submits it: a blocked text waits for legal
        draft = reply_services.reply_submit(
            draft_id=draft.pk, access=access_for(users["writer"], clinic)
        )
    portal = browser_server.url(f"/clinics/{clinic.slug}/portal/")

    # when legal opens their review page on a phone and overrides the block with a reason
    legal = new_page(PHONE)
    sign_in(legal, browser_server, users["legal"])
    legal.goto(portal + "review/")
    _fits(legal)
    assert serious_violations(legal) == []
    screenshot(legal, "phone-legal-review")
    legal.get_by_label("Why may it be published anyway?").fill(REASON)
    button = legal.get_by_role("button", name="Override the block for version 1")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    legal.wait_for_load_state()
    # then the block is overridden and the page still fits
    with tenant.schema():
        draft.refresh_from_db()
        assert draft.is_overridden and draft.override_reason == REASON
    assert legal.get_by_text("Nothing waits for you.").is_visible()
    _fits(legal)

    # given the writer submitted it and the agency approved it
    with tenant.schema():
        reply_services.reply_submit(draft_id=draft.pk, access=access_for(users["writer"], clinic))
        reply_services.reply_approve(draft_id=draft.pk, access=access_for(users["owner"], clinic))

    # when the clinic's approver opens the approvals on a phone and approves
    approver = new_page(PHONE)
    sign_in(approver, browser_server, users["approver"])
    approver.goto(portal + "approvals/")
    card = approver.locator(f"#card-reply-{draft.pk}")
    assert card.get_by_text("Overridden by legal").is_visible()
    assert card.get_by_text(REASON).is_visible()
    _fits(approver)
    assert serious_violations(approver) == []
    screenshot(approver, "phone-client-approval")
    button = card.get_by_role("button", name="Approve")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    outcome = approver.locator(f"#card-reply-{draft.pk}").get_by_role("status")
    outcome.wait_for(timeout=SLOW)
    # a CSV-imported review: nothing claims it is published; the agency posts it by hand (it
    # said "To post by hand on csv source.", as if it were the client's to do)
    assert outcome.inner_text() == (
        "Approved. csv source takes no replies posted automatically. Your agency posts it "
        "there by hand; nothing is needed from you."
    )
    _fits(approver)
    # then the reply is approved, by the clinic
    with tenant.schema():
        assert ReplyDraft.objects.get(pk=draft.pk).status in ("approved", "published")
    # and the approver finds what they were told, done now, in their notifications
    approver.get_by_role("link", name="Notifications").click()
    approver.wait_for_load_state()
    told = approver.locator("#notifications li").filter(has_text="approval")
    assert (
        told.count() >= 1 and "· done · Handled by you" in told.first.locator(".meta").inner_text()
    )
    waiting = approver.get_by_test_id("waiting-here")
    assert waiting.is_visible() and waiting.inner_text().startswith("Nothing waits for you at ")
    _fits(approver)
    assert serious_violations(approver) == []
    screenshot(approver, "phone-client-notifications")
    assert approver.console_errors == [] and legal.console_errors == []
