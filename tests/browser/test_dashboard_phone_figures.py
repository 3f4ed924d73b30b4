"""Phone (390 px): the agency dashboard with a busy clinic's figures ("164 new in 24 h, 54
negative", an unacknowledged critical incident) reads as cards that fit the screen. Walk 12 found
the demo's dashboard 449 px wide on a phone: the figures did not wrap, and the page scrolled
sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.models import ClinicSnapshot
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


def test_a_busy_clinics_figures_wrap_on_a_phone(browser_server, new_page, committed_tenant):
    # given a clinic whose row carries long figures
    tenant = committed_tenant()
    now = timezone.now()
    ClinicSnapshot.objects.filter(clinic=tenant.clinic).delete()
    ClinicSnapshot.objects.create(
        clinic=tenant.clinic, agency=tenant.agency, refreshed_at=now,
        new_reviews=1218, arrived_24h=1164, arrived_24h_negative=254,
        arrived_changes_at=now + timedelta(days=1), sla_breaches=37,
    )  # fmt: skip
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])

    # when the owner opens the dashboard
    page.goto(browser_server.url("/agency/"))

    # then the figures are there, and nothing scrolls sideways
    assert "1164 new in 24 h, 254 negative" in page.get_by_test_id("arrived-24h").inner_text()
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    table = page.locator("#dashboard").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= width
    assert page.console_errors == []


def test_the_security_log_scrolls_in_its_own_box_on_a_phone(
    browser_server, new_page, committed_tenant
):
    # given an owner whose sign-in is in the security log (seven columns: wider than a phone)
    tenant = committed_tenant()
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])

    # when the owner opens the log
    page.goto(browser_server.url("/agency/security-log/"))

    # then the table scrolls in its own box, and the page does not scroll sideways
    assert page.locator("table tbody tr").count() >= 1
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert page.console_errors == []
