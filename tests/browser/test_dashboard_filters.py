"""The agency dashboard's filters in a real Chromium: an owner narrows forty-odd clinics to the
ones with an open incident, finds one by name, clears the filters, and walks back through
each choice with the browser's back button (the address holds them); an address the page
cannot read says what is wrong."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from clinics.models import Clinic
from dashboard.models import ClinicSnapshot
from tests.fixtures.browser import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser


def _rows(page) -> list[str]:
    return page.locator("tr[data-clinic]").evaluate_all("rows => rows.map(r => r.dataset.clinic)")


def test_an_owner_filters_finds_clears_and_goes_back(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    agency, tag = tenant.agency, tenant.clinic.slug
    made = []
    try:
        # given forty calm clinics, two with an open incident and one with SLA breaches
        figures = {f"{tag}-calm-{n:02d}": {} for n in range(40)}
        figures[f"{tag}-fire"] = {"open_incidents": 1, "top_severity": 4,
                                  "top_severity_label": "critical"}  # fmt: skip
        figures[f"{tag}-smoke"] = {"open_incidents": 1, "top_severity": 2,
                                   "top_severity_label": "medium"}  # fmt: skip
        figures[f"{tag}-late"] = {"sla_breaches": 4}
        names = {f"{tag}-fire": "Harbour Fire Dental", f"{tag}-smoke": "Smoky Hill Clinic",
                 f"{tag}-late": "Late Lane Clinic"}  # fmt: skip
        for slug, snap in figures.items():
            clinic = Clinic.objects.create(
                agency=agency, slug=slug, name=names.get(slug, f"Calm Clinic {slug[-2:]}"),
                schema_name=slug.replace("-", "_"),
            )  # fmt: skip
            made.append(clinic)
            ClinicSnapshot.objects.create(
                clinic=clinic, agency=agency, refreshed_at=timezone.now(), **snap
            )

        page = new_page("desktop")
        sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
        page.goto(browser_server.url("/agency/"))
        # most urgent first: the critical incident, the medium one, then the breaches
        assert _rows(page)[:3] == [f"{tag}-fire", f"{tag}-smoke", f"{tag}-late"]
        assert "Most urgent first" in page.get_by_test_id("sort-words").inner_text()

        # when the owner shows the clinics with an open incident
        page.get_by_label("Show", exact=True).select_option("incident")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_load_state()
        # then only those two, and the address says so (a link to share)
        assert "status=incident" in page.url
        assert _rows(page) == [f"{tag}-fire", f"{tag}-smoke"]
        assert serious_violations(page) == []
        screenshot(page, "admin-dashboard-filtered")

        # when she also types a name nothing matches
        page.get_by_label("Clinic name").fill("lakeview")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_load_state()
        assert _rows(page) == []
        assert "No clinic named like “lakeview” has an open incident." in (
            page.get_by_test_id("no-match").inner_text()
        )
        # and clears the filters
        page.get_by_test_id("no-match").get_by_role("link", name="Clear filters").click()
        page.wait_for_load_state()
        assert page.url == browser_server.url("/agency/")
        assert len(_rows(page)) == 44

        # then the back button walks back through each choice
        page.go_back()
        assert "q=lakeview" in page.url and _rows(page) == []
        assert page.get_by_label("Clinic name").input_value() == "lakeview"
        page.go_back()
        assert _rows(page) == [f"{tag}-fire", f"{tag}-smoke"]
        assert page.get_by_label("Show", exact=True).input_value() == "incident"

        # a column heading sorts the filtered clinics and keeps the filter
        page.get_by_role("link", name=re.compile("^Clinic")).first.click()
        page.wait_for_load_state()
        assert "status=incident" in page.url and "sort=name" in page.url
        assert _rows(page) == [f"{tag}-fire", f"{tag}-smoke"]

        assert page.console_errors == []

        # an address it cannot read says what is wrong and lists nothing (a 400 document)
        response = page.goto(browser_server.url("/agency/?status=angry"))
        assert response.status == 400
        alert = page.get_by_test_id("filter-errors")
        assert "“Show”: “angry” is not a status the dashboard knows" in alert.inner_text()
        assert _rows(page) == []
        assert serious_violations(page) == []
    finally:
        Clinic.objects.filter(pk__in=[c.pk for c in made]).delete()


def test_going_back_the_filter_boxes_show_what_the_address_says(
    browser_server, new_page, committed_tenant
):
    """The walk-through: search "north", pick "Open incident", sort; Back twice showed
    Northgate under "Show: Open incident", Back once more every clinic under "north": the
    browser had put back the boxes as last touched."""
    tenant = committed_tenant()
    agency, tag = tenant.agency, tenant.clinic.slug
    made = []
    try:
        for slug, name, snap in (
            (f"{tag}-north", "Northgate Family Dental", {}),
            (f"{tag}-fire", "Harbour Fire Dental", {"open_incidents": 1, "top_severity": 4,
                                                    "top_severity_label": "critical"}),
        ):  # fmt: skip
            clinic = Clinic.objects.create(
                agency=agency, slug=slug, name=name, schema_name=slug.replace("-", "_")
            )
            made.append(clinic)
            ClinicSnapshot.objects.create(
                clinic=clinic, agency=agency, refreshed_at=timezone.now(), **snap
            )
        page = new_page("desktop")
        sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
        page.goto(browser_server.url("/agency/"))
        every = _rows(page)
        assert f"{tag}-north" in every and len(every) > 1
        search, show = page.get_by_label("Clinic name"), page.get_by_label("Show", exact=True)

        # when the owner searches "north", then picks "Open incident", then sorts by name
        search.fill("north")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_load_state()
        assert _rows(page) == [f"{tag}-north"]
        show.select_option("incident")
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_load_state()
        assert "status=incident" in page.url and _rows(page) == []
        page.get_by_role("link", name=re.compile("^Clinic")).first.click()
        page.wait_for_load_state()
        assert "sort=name" in page.url

        # then each step back shows, in the boxes, what its address says
        page.go_back()
        assert "status=incident" in page.url and "sort=name" not in page.url
        assert (search.input_value(), show.input_value()) == ("north", "incident")
        page.go_back()
        assert "q=north" in page.url and "status=incident" not in page.url
        assert _rows(page) == [f"{tag}-north"]
        assert (search.input_value(), show.input_value()) == ("north", "")
        page.go_back()
        assert page.url == browser_server.url("/agency/")
        assert _rows(page) == every
        assert (search.input_value(), show.input_value()) == ("", "")
        # and forward again, the same
        page.go_forward()
        assert (search.input_value(), show.input_value()) == ("north", "")
        assert page.console_errors == []
    finally:
        Clinic.objects.filter(pk__in=[c.pk for c in made]).delete()
