"""Connecting a channel the way a user does it, in Chromium: "Connect Google Business Profile",
a refusal at the (fake) Google consent page said plainly, then consent, the choice of a
location, the source connected; Google refusing a renewal shows in the banner and on the row,
"Reconnect" mends it; "Disconnect" revokes the grant and the source says "not connected"."""

from __future__ import annotations

import re

import pytest

from tests.feeds.fake_platforms import GOOGLE_LOCATION
from tests.fixtures.browser import screenshot, serious_violations, sign_in


@pytest.mark.browser
def test_connect_google_business_profile(
    browser_server, browser_platforms, new_page, committed_tenant, settings
):
    from core.crypto import decrypt_json
    from feeds.models import Source, SourceConnection
    from feeds.services.connections import connection_refresh

    fake = browser_platforms
    for name, value in fake.oauth_settings().items():  # this process renews tokens below
        setattr(settings, name, value)
    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    sources = browser_server.url(f"/clinics/{tenant.clinic.slug}/sources/")
    page.goto(sources)
    assert serious_violations(page) == []

    # declining at Google brings the person back with the reason, and nothing connected
    page.get_by_role("button", name="Connect Google Business Profile", exact=True).click()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_load_state()
    assert page.url == sources
    alert = page.get_by_role("alert").filter(has_text="Access was not allowed at Google")
    assert alert.is_visible()
    assert page.get_by_role("row").filter(has_text="Sunrise").count() == 0

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

    # Google refuses to renew (the person removed Carewatch's access there): the owner is told
    fake.google_refresh_tokens.discard(refresh)
    with tenant.schema():
        assert connection_refresh(source_id=source.pk) == "lost"
    page.reload()
    told = "Sunrise Family Clinic is disconnected: Google refused to renew access"
    assert page.get_by_text(told).first.is_visible()
    row = page.get_by_role("row").filter(has_text=source.name)
    assert row.get_by_text("connection lost").is_visible()
    screenshot(page, "admin-sources-connection-lost")
    # "Reconnect": consent again, the same location preselected, the source mended
    row.get_by_role("button", name=f"Reconnect {source.name}").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_load_state()
    assert page.get_by_label(re.compile(r"^Sunrise Family Clinic — 1200")).is_checked()
    page.get_by_role("button", name="Connect this location").click()
    page.wait_for_load_state()
    row = page.get_by_role("row").filter(has_text="Connected to Sunrise Family Clinic")
    assert row.count() == 1 and page.get_by_text(told).count() == 0
    with tenant.schema():
        assert Source.objects.get().is_healthy
        refresh = decrypt_json(Source.objects.get().credentials_encrypted)["refresh_token"]

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
