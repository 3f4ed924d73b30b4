"""Phone (390x844), the clinic's people: accepting an invitation (a short heading, the e-mail on
a line of its own, signed in once the password is set, the agency's whole brand in the header);
the monthly report without sideways scrolling (its tables stack); legal's override reason
refused by the browser in the rule's own words; and a deactivation made in another process
(here: the test's, beside the server's) refusing the portal's very next request, with "Your
clinics" saying the clinic is paused and showing no work waiting for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.actors import Actor
from accounts.tokens import password_link_generator
from agency.models import Agency
from clinics.lifecycle import clinic_deactivate
from clinics.services import clinic_member_add
from core.text import REASON_RULE
from facts.models import Fact
from facts.services import facts_ask_clinic
from responses.services import replies as reply_services
from tests.facts.helpers import fill_in
from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.tenants import PASSWORD
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, review_in

pytestmark = pytest.mark.browser
PHONE = (390, 844)
BRAND = "Brightside Care Reviews"
NEW_PASSWORD = "a long first passphrase 61"


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page.url}: {width}px wide"


def test_an_invited_person_chooses_a_password_and_is_in_the_portal(
    browser_server, new_page, committed_tenant
):
    # given an agency with a long brand, and a new clinic approver invited (no password yet)
    tenant = committed_tenant()
    Agency.objects.filter(pk=tenant.agency.pk).update(display_name=BRAND)
    person = clinic_member_add(
        clinic=tenant.clinic, email=f"priya-{tenant.clinic.slug}@clinic.test",
        full_name="Priya Shah", role="approver",
    ).user  # fmt: skip
    tenant.users["priya"] = person
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    link = f"/password-reset/{uid}/{password_link_generator(person).make_token(person)}/"

    # when she opens the link on her phone
    page = new_page(PHONE)
    page.goto(browser_server.url(link))

    # then a short heading, her e-mail on a line under it, and the form within the screen
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Choose your password"
    assert heading.bounding_box()["height"] <= 50  # one line
    assert person.email in page.get_by_test_id("account-line").inner_text()
    field = page.get_by_label("Password", exact=True).bounding_box()
    assert field["y"] + field["height"] < PHONE[1] - 100  # on the first screen, with room
    _fits(page)
    screenshot(page, "phone-invitation")

    # and once she sets her password she is signed in, in the clinic's portal
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_load_state()
    assert page.url == browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")
    assert page.get_by_text(f"you are signed in as {person.email}").is_visible()
    # the header says the whole brand (it wraps), never "Brightside Care Revi…"
    brand = page.locator(".portal-brand span")
    assert brand.inner_text() == BRAND
    assert brand.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert brand.evaluate("e => getComputedStyle(e).textOverflow") != "ellipsis"
    _fits(page)
    assert serious_violations(page) == []
    assert page.console_errors == []


def test_the_monthly_report_needs_no_sideways_scroll_on_a_phone(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    page = new_page(PHONE)
    sign_in(page, browser_server, tenant.users["approver"])

    # last month: a whole month of weeks
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    page.goto(
        browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/report/?month={last:%Y-%m}")
    )

    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Monthly report · {last:%B %Y}"  # "November 2026", not "2026-11"
    weekly = page.get_by_test_id("report-weekly")
    assert weekly.locator("tbody tr").count() >= 4
    # the per-week table fits its box: no column out of sight
    wrap = weekly.locator("xpath=..")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), wrap.evaluate(
        "e => [e.scrollWidth, e.clientWidth]"
    )
    # each figure on a line of its own, labelled (the column's heading is out of sight)
    labels = (
        weekly.locator("tbody tr")
        .first.locator("td")
        .evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before').content)")
    )
    assert labels[0] == '"Items"' and labels[-1] == '"Median response"'
    assert "api/v1" not in page.content() and "JSON" not in page.inner_text("main")
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "phone-monthly-report")
    assert page.console_errors == []


def test_legals_short_reason_is_refused_in_the_rules_words(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    legal = clinic_member_add(
        clinic=tenant.clinic, email=f"legal-{tenant.clinic.slug}@clinic.test",
        full_name="Clinic Legal", role="viewer", crisis_roles=["legal"], password=PASSWORD,
    ).user  # fmt: skip
    tenant.users["legal"] = legal  # removed with the tenant
    review = review_in(tenant.clinic)
    with tenant.schema():
        writer = access_for(tenant.users["writer"], tenant.clinic)
        draft = reply_services.reply_draft_create(
            review_id=review.pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
    page = new_page(PHONE)
    sign_in(page, browser_server, legal)
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/review/"))

    reason = page.get_by_label("Why may it be published anyway? (shown to the approvers)")
    reason.fill("ok ok ok")
    page.get_by_role("button", name=f"Override the block for version {draft.version}").click()

    # the browser keeps the form and says the rule the help says and the server checks
    assert reason.evaluate("e => e.validationMessage") == REASON_RULE
    # (the reason's own help says it; the send-back comment under it has the same rule)
    help_text = page.locator(f"#{reason.get_attribute('aria-describedby')}")
    assert REASON_RULE in help_text.inner_text() and help_text.is_visible()
    assert page.url.endswith("/portal/review/")
    assert page.console_errors == []


def test_a_deactivation_refuses_the_servers_next_request_and_your_clinics_says_paused(
    browser_server, new_page, committed_tenant
):
    # given a clinic approver with a fact waiting for her, reading the portal's report
    tenant = committed_tenant()
    with tenant.schema():
        fill_in("licences")
        fact = Fact.objects.get(slug="licences")
        facts_ask_clinic(
            fact_ids=[fact.pk], access=access_for(tenant.users["owner"], tenant.clinic)
        )
    page = new_page(PHONE)
    sign_in(page, browser_server, tenant.users["approver"])
    report = browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/report/")
    assert page.goto(report).status == 200
    assert page.get_by_text("1 fact of your fact sheet waits for your confirmation").is_visible()

    # when the owner deactivates the clinic (this process, not the server's)
    clinic_deactivate(
        clinic=tenant.clinic, actor=Actor(user=tenant.users["owner"]),
        confirm_name=tenant.clinic.name,
    )  # fmt: skip

    # then the server refuses the portal's very next request
    refused = page.goto(report)
    assert refused.status == 403
    assert page.get_by_role("heading", name="Your agency has paused this portal").is_visible()

    # and "Your clinics" says it is paused, with no link into it and no work waiting
    page.goto(browser_server.url("/"))
    row = page.locator(f'[data-testid="clinics-closed"] [data-clinic="{tenant.clinic.slug}"]')
    assert "paused by" in row.inner_text() and "you cannot open it" in row.inner_text()
    assert row.get_by_role("link").count() == 0
    assert page.locator(".waiting-note").count() == 0
    assert "fact sheet" not in page.inner_text("body")
    assert "min" not in row.inner_text() and "/" not in row.inner_text()
    _fits(page)
    screenshot(page, "phone-your-clinics-paused")
    assert [e for e in page.console_errors if "status of 403" not in e] == []
