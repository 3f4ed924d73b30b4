"""The portal's top bar, in the agency's brand, leads every page's reader to their account
page, and its navigation to their notifications in this clinic's portal, from which their
notification settings are one link away (walk 15, finding 1; the staff's top bar:
tests/accounts/test_top_bar_account_links.py)."""

from __future__ import annotations

import pytest

PORTAL = "/clinics/clinic-a/portal/"


@pytest.mark.parametrize("page", ["", "approvals/", "report/", "notifications/"])
def test_every_portal_page_leads_to_the_account_and_the_notifications(login, page):
    # given one of the clinic's people with nothing waiting for them
    html = login("a_approver").get(f"{PORTAL}{page}").content.decode()

    top = html[html.index('<nav class="portal-account" aria-label="Account">') :]
    top = top[: top.index("</nav>")]
    assert (
        '<a href="/account/" data-testid="account-link">Account'
        '<span class="sr-only"> (A Approver)</span></a>'
    ) in top
    nav = html[html.index('id="portal-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert f'<a href="{PORTAL}notifications/"' in nav


def test_the_portal_notifications_lead_to_the_portals_settings(login):
    html = login("a_approver").get(f"{PORTAL}notifications/").content.decode()

    assert f'href="{PORTAL}notifications/settings/" data-testid="notification-settings"' in html
