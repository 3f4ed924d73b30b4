"""A clinic's tabs offer only the pages the person may open: no tab leads to a 403."""

import re

import pytest

TABS = ["Overview", "Inbox", "Incidents", "Approvals", "Statements", "Fact sheet", "Report",
        "Outbox", "Import CSV"]  # fmt: skip
LEAVING = "Leaving: export, deactivate, delete"
MANAGING = ["API keys", "Settings history"]  # owners and managers only
SETTINGS = ["General", "People", "Alerts", "Sources", "Reply templates", "Detector thresholds",
            "Monthly report"]  # fmt: skip


def _links(html: str, nav_class: str) -> dict[str, str]:
    """label -> href of the links in the page's <nav class="{nav_class}">."""
    match = re.search(rf'<nav class="{nav_class}"[^>]*>(.*?)</nav>', html, re.S)
    assert match, nav_class
    return {
        label: href
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', match.group(1))
    }


@pytest.mark.parametrize(
    ("person", "tabs", "settings_tabs"),
    [
        ("alpha_owner", [*TABS, "Settings"], [*SETTINGS, *MANAGING, "Webhooks", LEAVING]),
        ("alpha_manager", [*TABS, "Settings"], [*SETTINGS, *MANAGING, "Webhooks", LEAVING]),
        ("alpha_writer", [*TABS, "Settings"], [*SETTINGS, "Webhooks"]),
        ("alpha_analyst", [*TABS, "Settings"], [*SETTINGS, "Webhooks"]),
        # the clinic's own people never get the staff layout: its pages send them to the portal
        # (tests/security/test_walk9_staff_pages_are_for_staff.py)
    ],
)
def test_each_tab_shown_opens_for_the_person(person, tabs, settings_tabs, login):
    client = login(person)
    # given the staff layout of a clinic page and of a settings page they may open
    page = client.get("/clinics/clinic-a/sources/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = _links(html, "tabs")
    shown_settings = _links(html, "subnav settings-nav")
    # then they see exactly the tabs of their role
    assert list(shown) == tabs
    assert list(shown_settings) == settings_tabs
    # and every one of them opens
    for label, href in {**shown, **shown_settings}.items():
        assert client.get(href).status_code == 200, (label, href)


def test_a_portal_person_sees_no_settings_tab_on_any_clinic_page(login):
    client = login("a_approver")
    for path in ("/clinics/clinic-a/", "/clinics/clinic-a/inbox/", "/clinics/clinic-a/outbox/"):
        page = client.get(path, follow=True)
        assert page.redirect_chain == [("/clinics/clinic-a/portal/", 302)], path
        html = page.content.decode()
        assert 'href="/clinics/clinic-a/settings/"' not in html, path
