"""Phone (390x844), the clinic's side of a crisis with much waiting (walk 1 of the clinic on
phones): a link to a reply that waits on the second page of "Replies to approve" opens that
reply (finding 2); what waits is a short list, the most urgent first, with a link to the rest,
and the page's own content starts on the first screen (finding 1); the "Your clinics" page of
a person of two clinics has tap targets of 40 px or more (finding 5); a statement the clinic
sent back that comes back unchanged says so, with the clinic's comment (finding 13)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from clinics.services import clinic_member_add
from responses.services import statements as statement_services
from tests.fixtures.browser import PASSWORD, screenshot, serious_violations, sign_in
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.portal.helpers import (
    access_for,
    reply_waiting_for_clinic,
    statement_waiting_for_clinic,
)
from tests.responses.backlog import backlog_create
from tests.responses.conftest import review_in

pytestmark = pytest.mark.browser
PHONE = (390, 844)


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page.url}: {width}px wide on a 390px phone"


def test_a_link_to_a_reply_waiting_on_the_second_page_opens_that_reply(
    browser_server, new_page, committed_tenant
):
    # given 21 older replies wait for the clinic (a page holds 20) and then one more, whose
    # notice (in-app and e-mail) links to it
    tenant = committed_tenant()
    approver = tenant.users["approver"]
    with tenant.schema():
        backlog_create(replies=21, status="pending_client", tag=f"w1{uuid.uuid4().hex[:4]}")
    review = review_in(tenant.clinic)
    draft = reply_waiting_for_clinic(
        clinic=tenant.clinic, review=review, writer=tenant.users["writer"],
        manager=tenant.users["owner"],
        text="Thank you for your feedback. Please contact us at +1 555 0100 so we can help.",
    )  # fmt: skip
    notice = Notification.objects.get(user=approver, clinic=tenant.clinic, ref=f"reply:{draft.pk}")

    # when the approver opens that link on a phone, signed out, and signs in
    page = new_page(PHONE)
    page.goto(browser_server.url(notice.url))
    page.get_by_label("E-mail").fill(approver.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    # then the page holds that reply, on screen, with its Approve button
    card = page.locator(f"#card-reply-{draft.pk}")
    assert card.count() == 1, page.url
    card.get_by_role("button", name="Approve").first.wait_for()
    top = card.evaluate("e => e.getBoundingClientRect().top")
    assert -5 <= top < PHONE[1] / 2, top
    assert "Showing 21–22 of 22 waiting" in page.get_by_test_id("queue-showing").inner_text()
    _fits(page)
    screenshot(page, "walk1-link-to-second-page")


def test_what_waits_is_a_short_list_and_the_page_starts_on_the_first_screen(
    browser_server, new_page, committed_tenant
):
    # given 30 things wait for the clinic's approver, told one after the other: the first one
    # told is overdue, the others due later and later, the last two with no deadline
    tenant = committed_tenant()
    approver = tenant.users["approver"]
    slug = tenant.clinic.slug
    now = timezone.now()
    for n in range(30):
        due = None if n >= 28 else now + timedelta(hours=n - 1)
        Notification.objects.create(
            user=approver, clinic=tenant.clinic, kind="legal", ref=f"reply:{9000 + n}",
            title=f"A reply waits for your legal check ({n})", due_at=due,
            url=f"/clinics/{slug}/portal/review/#card-reply-{9000 + n}",
        )  # fmt: skip

    # when they open "Replies to approve" on a phone
    page = new_page(PHONE)
    sign_in(page, browser_server, approver)
    page.goto(browser_server.url(f"/clinics/{slug}/portal/approvals/"))

    # then the banner names a few of them and links to all of them, and the page's heading is on
    # the first screen
    banner = page.get_by_test_id("waiting-banner")
    items = banner.locator("a:not([data-testid])")  # each thing named (not "See all …")
    assert 1 <= items.count() <= 5, items.count()
    # the most urgent first: the overdue one, then the one due soonest
    said = items.all_inner_texts()
    assert said[0].startswith("A reply waits for your legal check (0)"), said
    assert said[1].startswith("A reply waits for your legal check (1)"), said
    assert min(items.evaluate_all("ls => ls.map(l => l.getBoundingClientRect().height)")) >= 40
    more = banner.get_by_role("link", name="Everything you were told")
    assert more.get_attribute("href") == f"/clinics/{slug}/portal/notifications/"
    assert more.bounding_box()["height"] >= 40
    heading = page.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < PHONE[1], heading.bounding_box()
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "walk1-waiting-banner-short")


def test_your_clinics_page_of_a_person_of_two_clinics_has_large_tap_targets(
    browser_server, new_page, committed_tenant
):
    # given the clinic's approver also approves for a second clinic of the agency
    tenant = committed_tenant()
    person = tenant.users["approver"]
    second = clinic_committed_create(
        slug=f"w1-{uuid.uuid4().hex[:8]}", name="Northgate Dermatology", agency=tenant.agency,
    ).clinic  # fmt: skip
    try:
        clinic_member_add(
            clinic=second, email=person.email, full_name=person.full_name, role="approver",
            password=PASSWORD,
        )  # fmt: skip

        # when they sign in on a phone (the landing is "Your clinics")
        page = new_page(PHONE)
        sign_in(page, browser_server, person)
        page.goto(browser_server.url("/"))

        # then every link and button in the header and every clinic's link is 40 px or more
        sizes = page.evaluate(
            """() => [...document.querySelectorAll(
                  'header a, header button, header select, main table a')]
                .filter(e => e.getClientRects().length && !e.closest('.skip-link'))
                .filter(e => getComputedStyle(e).position !== 'absolute')
                .map(e => { const r = e.getBoundingClientRect();
                            return [e.innerText.trim().slice(0, 30), Math.round(r.height)]; })"""
        )
        small = [s for s in sizes if s[1] < 40]
        assert sizes and not small, small
        _fits(page)
        screenshot(page, "walk1-your-clinics-phone")
    finally:
        clinic_drop(second)


def test_a_statement_the_clinic_sent_back_says_so_when_it_comes_back_unchanged(
    browser_server, new_page, committed_tenant
):
    # given the clinic's approver sent a statement back with a comment, and the agency sent
    # the very same version to the clinic again (no edit)
    tenant = committed_tenant()
    clinic, approver = tenant.clinic, tenant.users["approver"]
    writer, owner = tenant.users["writer"], tenant.users["owner"]
    statement = statement_waiting_for_clinic(
        clinic=clinic, writer=writer, manager=owner, title="Our response to concerns",
        body="We have heard the concerns shared online this week. Please contact our office.",
    )  # fmt: skip
    comment = "Please add our phone number and the fridge checks."
    with schema_context(clinic.schema_name):
        statement_services.statement_reject(
            statement_id=statement.pk, access=access_for(approver, clinic), comment=comment
        )
        statement_services.statement_submit(
            statement_id=statement.pk, access=access_for(writer, clinic)
        )
        again = statement_services.statement_approve(
            statement_id=statement.pk, access=access_for(owner, clinic)
        )
    assert again.status == "pending_client" and again.version == 1

    # when the approver opens it on a phone
    page = new_page(PHONE)
    sign_in(page, browser_server, approver)
    page.goto(browser_server.url(f"/clinics/{clinic.slug}/portal/statements/"))

    # then its card says it is the version they sent back, unchanged, with their comment
    card = page.locator(f"#card-statement-{statement.pk}")
    notice = card.get_by_test_id("clinic-sent-back")
    said = " ".join(notice.inner_text().split())
    assert said.startswith("This is version 1 again, unchanged: the clinic sent it back"), said
    assert f"“{comment}”" in said and approver.full_name in said
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "walk1-statement-back-unchanged")


def test_the_incident_page_says_what_of_it_waits_for_the_clinics_approval(
    browser_server, new_page, committed_tenant
):
    # given an open incident with a mention whose reply and a statement drafted from it wait
    # for the clinic, and a reply to another review that does not belong to it
    from crisis.models import Incident, IncidentMention, IncidentStatement

    tenant = committed_tenant()
    clinic, approver = tenant.clinic, tenant.users["approver"]
    writer, owner = tenant.users["writer"], tenant.users["owner"]
    text = "Thank you for your feedback. Please contact us at +1 555 0100 so we can help."
    mention, other = review_in(clinic), review_in(clinic)
    for review in (mention, other):
        reply_waiting_for_clinic(
            clinic=clinic, review=review, writer=writer, manager=owner, text=text
        )
    statement = statement_waiting_for_clinic(
        clinic=clinic, writer=writer, manager=owner, title="About the rumours",
        body="Every needle we use is single-use. Please contact our office with any question.",
    )  # fmt: skip
    with schema_context(clinic.schema_name):
        now = timezone.now()
        incident = Incident.objects.create(
            kind="surge", title="Negative surge", severity="critical", status="open",
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        IncidentMention.objects.create(incident=incident, review_id=mention.pk, added_at=now)
        IncidentStatement.objects.create(incident=incident, statement=statement, added_at=now)

    # when the approver opens the incident on a phone
    page = new_page(PHONE)
    sign_in(page, browser_server, approver)
    page.goto(browser_server.url(f"/clinics/{clinic.slug}/portal/incidents/{incident.pk}/"))

    # then it says what of it waits for them, each with a link to where they approve it
    box = page.get_by_test_id("incident-waiting")
    links = box.get_by_role("link")
    assert links.all_inner_texts() == ["1 reply to its mentions", "1 statement"]
    assert [links.nth(n).get_attribute("href") for n in range(2)] == [
        f"/clinics/{clinic.slug}/portal/approvals/",
        f"/clinics/{clinic.slug}/portal/statements/",
    ]
    assert min(links.evaluate_all("ls => ls.map(l => l.getBoundingClientRect().height)")) >= 40
    _fits(page)
    assert serious_violations(page) == []
    screenshot(page, "walk1-incident-waiting")
