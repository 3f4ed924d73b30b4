"""The agency's name and its brand: staff pages say the agency's name (top bar and dashboard
alike); a clinic's people always see the brand (the portal's white label), never the
vendor's product name, on their notification settings too."""

from __future__ import annotations

import pytest

from agency.models import Agency


@pytest.fixture
def branded(world):
    agency = world.clinics["a"].agency
    Agency.objects.filter(pk=agency.pk).update(
        name="Brightside Health Marketing", display_name="Brightside Care Reviews"
    )
    return agency


def test_staff_pages_say_the_agencys_name_in_the_bar_and_the_heading(login, branded):
    html = login("alpha_manager").get("/agency/").content.decode()
    assert '<a class="brand" href="/agency/">Brightside Health Marketing</a>' in html
    assert "<h1>Brightside Health Marketing — all clinics</h1>" in html
    assert "<title>Dashboard · Brightside Health Marketing</title>" in html
    assert "Brightside Care Reviews" not in html


def test_a_clinic_person_sees_the_brand_never_carewatch(login, branded):
    client = login("a_approver")
    html = client.get("/account/notifications/").content.decode()
    assert '<a class="brand" href="/">Brightside Care Reviews</a>' in html
    assert "Show what waits for me in Brightside Care Reviews (banner and badge)" in html
    assert "Carewatch" not in html
    account = client.get("/account/").content.decode()
    assert "(e-mail, on these pages, immediately or an hourly digest)" in account
    assert "in Carewatch" not in account


def test_staff_notification_settings_name_the_agency(login, branded):
    html = login("alpha_manager").get("/account/notifications/").content.decode()
    assert "Show what waits for me in Brightside Health Marketing (banner and badge)" in html
    assert "Carewatch" not in html
