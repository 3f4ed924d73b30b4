"""Phone (390 px): the clinic's approver opens the Approvals log in the branded portal, reads who
decided what (their own rejection with its reason, legal's override with its reason, the
agency's approval of one answer for two mentions, a statement approved at both steps), filters
it to the legal step and downloads the filtered log as CSV; the page fits the phone without
sideways scrolling and axe finds no serious or critical violation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from clinics.services import clinic_member_add
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.tenants import PASSWORD
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in

pytestmark = pytest.mark.browser
PHONE = (390, 844)
REJECTION = "Please mention our new phone line for billing questions."
OVERRIDE = "The patient posted these details publicly; counsel approved this wording."
STATEMENT = "The clinic is closed on Monday for maintenance. Call +1 555 0100 for urgent care."


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page.url}: {width}px wide"


def _decide(tenant) -> None:
    """Decisions through the real services: the agency approves a reply and the clinic rejects
    it; legal overrides a block; the agency approves one answer for two mentions; a statement
    is approved by the agency and the clinic (nothing is published: no worker runs here)."""
    clinic, users = tenant.clinic, tenant.users
    reviews = [review_in(clinic) for _ in range(4)]
    with tenant.schema():
        writer, owner = access_for(users["writer"], clinic), access_for(users["owner"], clinic)
        approver, legal = access_for(users["approver"], clinic), access_for(users["legal"], clinic)
        reply = reply_services.reply_draft_create(
            review_id=reviews[0].pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=reply.pk, access=writer)
        reply_services.reply_approve(draft_id=reply.pk, access=owner)
        reply_services.reply_reject(draft_id=reply.pk, access=approver, comment=REJECTION)
        blocked = reply_services.reply_draft_create(
            review_id=reviews[1].pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=blocked.pk, access=writer)  # legal is asked
        reply_services.reply_override(draft_id=blocked.pk, access=legal, reason=OVERRIDE)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews[2:]], text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        batch_services.reply_batch_approve(
            batch_id=batch.pk, access=owner, expected_version=batch.version
        )
        statement = statement_services.statement_create(
            access=writer, title="Closed on Monday", body=STATEMENT
        )
        statement_services.statement_submit(statement_id=statement.pk, access=writer)
        statement_services.statement_approve(statement_id=statement.pk, access=owner)
        statement = statement_services.statement_approve(statement_id=statement.pk, access=approver)
        assert statement.status == "approved"


def test_the_approver_reads_filters_and_downloads_the_log_on_a_phone(
    browser_server, new_page, committed_tenant
):
    # given a clinic whose texts went through every kind of decision
    tenant = committed_tenant(colour="#7A1FA2")
    tenant.users["legal"] = clinic_member_add(
        clinic=tenant.clinic, email=f"legal-{tenant.clinic.slug}@clinic.test",
        full_name="Clinic Legal", role="viewer", crisis_roles=["legal"], password=PASSWORD,
    ).user  # fmt: skip
    _decide(tenant)
    portal = browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")

    # when the clinic's approver opens the log from the portal's navigation, on a phone
    page = new_page(PHONE)
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(portal)
    tab = page.get_by_role("navigation", name="Portal").get_by_role("link", name="Approvals log")
    tab.click()
    page.wait_for_load_state()

    # then every decision that reached the clinic, or was the clinic's own, is there in words
    assert page.get_by_role("heading", name="Approvals log").is_visible()
    assert page.locator(".portal-brand").inner_text() == tenant.agency.name
    cards = page.locator("#approvals-log > li")
    # the agency's approval of the reply the clinic rejected too, and what was submitted
    assert cards.count() - page.locator('[data-decision="submitted"]').count() == 6
    rejected = page.locator('[data-decision="rejected"]')
    assert "Rejected: sent back for changes by Clinic Approver" in rejected.inner_text()
    assert REJECTION in rejected.inner_text()
    overridden = page.locator('[data-decision="overridden"]')
    assert "Privacy block overridden by Clinic Legal, Legal / compliance" in (
        overridden.inner_text()
    )
    assert OVERRIDE in overridden.inner_text()
    assert page.get_by_text("Approved as a batch of 2 replies by Agency Owner").is_visible()
    # the text decided on opens in place
    overridden.get_by_text("The text decided on").click()
    assert overridden.get_by_text("We reviewed your chart").is_visible()
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "phone-approvals-log")

    # when they keep the legal step only
    page.get_by_text("Filter the log").click()
    page.get_by_label("Step").select_option("legal")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()

    # then only legal's decision is listed, and the file holds the same
    assert cards.count() == 1
    assert page.get_by_text("Filter the log (filtered)").is_visible()
    assert page.get_by_label("Step").input_value() == "legal"
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith(f"approvals-log-{tenant.clinic.slug}-")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["decision"], r["person"], r["step"], r["reason"]) for r in rows] == [
        ("Privacy block overridden", "Clinic Legal", "Legal review", OVERRIDE)
    ]
    assert rows[0]["text"] == BLOCK_TEXT
    assert page.console_errors == []
