"""Connecting a channel the way a user does it, in Chromium: "Connect Google Business Profile",
the (fake) Google consent page, the choice of a location, the source connected; then
"Disconnect" revokes the grant and the source says "not connected"."""

from __future__ import annotations

import re

import pytest

from tests.feeds.fake_platforms import GOOGLE_LOCATION
from tests.fixtures.browser import screenshot, serious_violations, sign_in


@pytest.mark.browser
def test_connect_google_business_profile(
    browser_server, browser_platforms, new_page, committed_tenant
):
    from core.crypto import decrypt_json
    from feeds.models import Source, SourceConnection

    fake = browser_platforms
    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    sources = browser_server.url(f"/clinics/{tenant.clinic.slug}/sources/")
    page.goto(sources)
    assert serious_violations(page) == []

    # the button takes the person to Google's consent page (the fake), which asks for access
    page.get_by_role("button", name="Connect Google Business Profile", exact=True).click()
    page.wait_for_load_state()
    assert page.url.startswith(fake.base_url + "/o/oauth2/v2/auth?")
    assert page.get_by_role("heading", name="Sign in with Google").is_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_load_state()

    # back in Carewatch: the account's locations, to choose from
    assert re.search(r"/sources/connect/\d+/$", page.url), page.url
    assert page.get_by_role(
        "heading", name="Choose the Google Business Profile location"
    ).is_visible()
    assert serious_violations(page) == []
    screenshot(page, "admin-connect-choose-location")
    page.get_by_label(re.compile(r"^Sunrise Family Clinic — 1200 Valencia St")).check()
    page.get_by_role("button", name="Connect this location").click()
    page.wait_for_load_state()

    # the source is connected, says so, and its tokens are the ones Google issued
    assert page.url == sources
    assert (
        page.get_by_role("status").filter(has_text="Connected: Sunrise Family Clinic").is_visible()
    )
    row = page.get_by_role("row").filter(has_text="Connected to Sunrise Family Clinic")
    assert row.count() == 1
    assert serious_violations(page) == []
    assert page.console_errors == []
    screenshot(page, "admin-sources-connected")
    with tenant.schema():
        source = Source.objects.get(kind="google")
        assert source.settings["location_id"] == GOOGLE_LOCATION
        refresh = decrypt_json(source.credentials_encrypted)["refresh_token"]
        assert refresh in fake.google_refresh_tokens
        assert SourceConnection.objects.filter(source=source).exists()

    # disconnecting revokes the grant at Google and leaves the source "not connected"
    row.get_by_role("button", name=f"Disconnect {source.name}").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="access was revoked at Google").is_visible()
    assert (
        page.get_by_role("row")
        .filter(has_text=source.name)
        .get_by_text("not connected")
        .is_visible()
    )
    assert refresh in fake.google_revoked
    with tenant.schema():
        assert Source.objects.get(pk=source.pk).credentials_encrypted == ""
