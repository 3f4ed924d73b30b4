"""Phone (390 px): the clinic's approver confirms one fact the agency asked about and sends
another back with a comment, in the portal's "Facts to confirm", without sideways scrolling;
axe finds no serious or critical violation; the agency is e-mailed the comment."""

from __future__ import annotations

import pytest

from facts.models import Fact
from facts.services import facts_ask_clinic
from tests.facts.helpers import fill_in
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.portal.helpers import access_for

pytestmark = pytest.mark.browser
PHONE = (390, 844)
COMMENT = "We changed suppliers: the syringes are now sealed in blister packs."


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url}: {width}px wide"


def test_the_approver_confirms_and_sends_back_facts_on_a_phone(
    browser_server, new_page, committed_tenant
):
    # given the agency asked the clinic to confirm two facts, one with a source link
    tenant = committed_tenant()
    clinic, users = tenant.clinic, tenant.users
    with tenant.schema():
        fill_in("needles-single-use", "instrument-sterilisation")
        Fact.objects.filter(slug="instrument-sterilisation").update(
            source="Sterilisation log", source_url="https://clinic.example/sterilisation"
        )
        facts = {
            f.slug: f
            for f in Fact.objects.filter(
                slug__in=["needles-single-use", "instrument-sterilisation"]
            )
        }
        facts_ask_clinic(
            fact_ids=[f.pk for f in facts.values()], access=access_for(users["owner"], clinic)
        )
    needles, sterile = facts["needles-single-use"], facts["instrument-sterilisation"]
    portal = browser_server.url(f"/clinics/{clinic.slug}/portal/")

    # when the clinic's approver opens the portal on a phone, the tab shows what waits
    page = new_page(PHONE)
    sign_in(page, browser_server, users["approver"])
    page.goto(portal)
    tab = page.get_by_role("navigation", name="Portal").get_by_role("link", name="Facts to confirm")
    assert tab.is_visible()
    tab.click()
    page.wait_for_load_state()
    assert page.get_by_text("2 facts of your fact sheet wait for your confirmation.").is_visible()
    card = page.locator(f"#fact-{sterile.pk}")
    assert card.get_by_role("link", name="Sterilisation log").get_attribute("href") == (
        "https://clinic.example/sterilisation"
    )
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "phone-facts-to-confirm")

    # and confirms the first
    button = page.locator(f"#fact-{needles.pk}").get_by_role("button", name="Confirm")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    page.wait_for_load_state()
    assert page.get_by_text(f"“{needles.title}” confirmed").is_visible()
    _fits(page)

    # and sends the second back with a comment
    card = page.locator(f"#fact-{sterile.pk}")
    card.get_by_label("What needs a change?").fill(COMMENT)
    card.get_by_role("button", name="Needs a change").click()
    page.wait_for_load_state()
    assert page.get_by_text("No fact waits for the clinic's confirmation.").is_visible()
    _fits(page)
    assert page.console_errors == []

    # then the first is confirmed by the clinic, the second stays a draft with the comment
    with tenant.schema():
        needles.refresh_from_db()
        sterile.refresh_from_db()
    assert (needles.status, needles.confirmed_as, needles.confirmed_by) == (
        "confirmed",
        "clinic",
        "Clinic Approver",
    )
    assert (sterile.status, sterile.clinic_review, sterile.clinic_comment) == (
        "draft",
        "change_requested",
        COMMENT,
    )
    # and the agency's owner is e-mailed the comment, with a link to the fact
    mails = browser_server.mails(to=users["owner"].email)
    assert any(
        COMMENT in m.get_body().get_content()
        and f"/clinics/{clinic.slug}/facts/{sterile.pk}/" in m.get_body().get_content()
        for m in mails
    ), [m["Subject"] for m in mails]
