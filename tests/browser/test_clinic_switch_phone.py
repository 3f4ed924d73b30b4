"""Phone (390 px): a person of two clinics switches from one clinic's portal to the other's in
the header, where each clinic says what waits for them there; the switch fits the phone and
its targets are large enough to tap (walk 16, finding 1)."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from clinics.services import clinic_member_add
from responses.models import PrivateConversation
from tests.fixtures.browser import PASSWORD, screenshot, serious_violations, sign_in
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.responses.backlog import backlog_create

pytestmark = pytest.mark.browser
PHONE = (390, 844)


def _words(text: str) -> str:
    # a badge's words for screen readers ("(", "2", " waiting…)") come on lines of their own
    return " ".join(text.split()).replace("( ", "(")


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page.url}: {width}px wide on a 390px phone"


def test_a_person_of_two_clinics_switches_clinic_on_a_phone(
    browser_server, new_page, committed_tenant
):
    # given the clinic's approver is also the legal person of a second clinic of the agency,
    # where two things wait for them
    tenant = committed_tenant()
    person = tenant.users["approver"]
    second = clinic_committed_create(
        slug=f"br2-{uuid.uuid4().hex[:8]}", name="Northgate Dermatology and Skin Care",
        agency=tenant.agency,
    ).clinic  # fmt: skip
    try:
        clinic_member_add(
            clinic=second, email=person.email, full_name=person.full_name, role="viewer",
            crisis_roles=["legal"], password=PASSWORD,
        )  # fmt: skip
        # (what waits is counted as the portal counts it, not by its notices: two private
        # follow-ups they own there)
        with schema_context(second.schema_name):
            drafts, _ = backlog_create(replies=2, status="draft", tag="sw")
            for draft in drafts:
                PrivateConversation.objects.create(
                    review=draft.review, channel="email", opened_by_label="user:1",
                    owner_id=person.pk,
                )  # fmt: skip

        # when they open the first clinic's portal on a phone
        page = new_page(PHONE)
        sign_in(page, browser_server, person)
        page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/"))

        # then the header names the clinic and offers the switch, with what waits elsewhere
        switch = page.get_by_test_id("clinic-switch")
        summary = switch.locator("summary")
        assert summary.is_visible()
        said = _words(summary.inner_text())
        assert said == (
            f"Clinic: {tenant.clinic.name} Switch clinic (2 waiting for you in your other clinics)"
        )
        assert summary.bounding_box()["height"] >= 44
        _fits(page)

        # when they open it and choose the other clinic
        summary.click()
        links = switch.get_by_test_id("switch-clinic")
        said = [_words(t) for t in links.all_inner_texts()]
        assert said == [
            f"{tenant.clinic.name} (open now)",
            f"{second.name} (2 waiting for you)",
        ]
        heights = links.evaluate_all("ls => ls.map(l => l.getBoundingClientRect().height)")
        assert min(heights) >= 44, heights
        _fits(page)
        assert serious_violations(page) == []
        screenshot(page, "portal-clinic-switch-phone")
        switch.get_by_role("link", name=second.name).click()
        page.wait_for_load_state()

        # then they are in the other clinic's portal, which says so in its header
        assert page.url.endswith(f"/clinics/{second.slug}/portal/")
        assert f"Clinic: {second.name}" in " ".join(
            page.get_by_test_id("clinic-switch").locator("summary").inner_text().split()
        )
        _fits(page)
        assert page.console_errors == []
    finally:
        clinic_drop(second)
