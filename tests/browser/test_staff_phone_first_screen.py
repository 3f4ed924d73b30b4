"""On a phone (390x844) every staff page shows its heading and the start of its content on the
first screen: the header, the alert banner and the tabs took 1,100 px before them (the header's
links wrapped to four rows, the clinic's tabs and a settings page's sub-tabs to four more).
The header's and breadcrumbs' links are tap targets of 44 px, the banner is one line with its
action, the tabs are one row that scrolls sideways (every tab still opens its page, without
JavaScript too); a wide screen (1366x768) keeps its one-row header and its row of tabs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from clinics.models import Notification
from tests.fixtures.browser import screenshot, serious_violations, signed_in_state

pytestmark = pytest.mark.browser
PHONE = (390, 844)
DESKTOP = (1366, 768)
# a long title: the banner's line must still end with its action
TITLE = "Surge of negative reviews about waiting times at the front desk and on the phone line"

# the visible elements of a selector: a few words of each, its height and its right edge
TARGETS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => { const r = e.getBoundingClientRect();
    return {what: (e.innerText || e.getAttribute('aria-label') || e.tagName).trim().slice(0, 80),
            height: Math.round(r.height), right: Math.round(r.right)}; })"""
# where the page's own content starts: the first element after the heading and the tab rows
CONTENT_TOP_JS = """() => {
  const h1 = document.querySelector('main h1');
  let e = h1.nextElementSibling;
  while (e && (e.matches('nav, .skips, .tz') || !e.getClientRects().length)) {
    e = e.nextElementSibling;
  }
  return e ? e.getBoundingClientRect().top : h1.getBoundingClientRect().bottom;
}"""


def _incident_and_notices(tenant, user):
    from crisis.models import Incident

    now = timezone.now()
    with tenant.schema():
        incident = Incident.objects.create(
            kind="surge", key="phone-first-screen", title=TITLE, severity="high",
            trigger={"explanation": "12 negative mentions in 2 hours against a baseline of 1."},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
    room = f"/clinics/{tenant.clinic.slug}/incidents/{incident.pk}/"
    Notification.objects.create(
        user=user, clinic=tenant.clinic, kind="incident", ref=f"incident:{incident.pk}",
        severity="high", title=TITLE, url=room,
    )  # fmt: skip
    Notification.objects.create(
        user=user, clinic=tenant.clinic, kind="approval", ref="reply:9001",
        title="A reply waits for your approval", url=f"/clinics/{tenant.clinic.slug}/replies/",
    )  # fmt: skip
    return room


def _pages(tenant, room: str) -> dict[str, str]:
    base = f"/clinics/{tenant.clinic.slug}/"
    return {
        "dashboard": "/agency/",
        "inbox": base + "inbox/",
        "incident-room": room,
        "agency-settings": "/agency/settings/",
        "clinic-settings": base + "settings/",
    }


@pytest.fixture(scope="module")
def owner_with_notices(browser_server, pw_browser, committed_tenant_module):
    """The agency owner of a tenant where an incident and a reply wait for them, signed in:
    (tenant, the incident room's path, the browser's signed-in state). The tests only read
    pages (no form is sent), so the file's tests share it: one clinic and one sign-in."""
    tenant = committed_tenant_module()
    owner = tenant.users["owner"]
    room = _incident_and_notices(tenant, owner)
    state = signed_in_state(pw_browser, browser_server, owner, totp=tenant.devices["owner"])
    return tenant, room, state


def _signed_in_owner(new_page, owner_with_notices, viewport, **options):
    tenant, room, state = owner_with_notices
    page = new_page(viewport, storage_state=state, **options)
    return tenant, room, page


def test_every_staff_page_shows_its_heading_and_content_on_a_phones_first_screen(
    browser_server, new_page, owner_with_notices
):
    tenant, room, page = _signed_in_owner(new_page, owner_with_notices, PHONE)

    for name, path in _pages(tenant, room).items():
        page.goto(browser_server.url(path))
        page.wait_for_selector("#alert-banner .incident-banner")
        screenshot(page, f"staff-first-screen-phone-{name}")

        heading = page.locator("main h1").bounding_box()
        assert heading["y"] < 500, (name, heading)
        content_top = page.evaluate(CONTENT_TOP_JS)
        assert content_top < PHONE[1] - 100, (name, content_top)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE[0], (name, width)

        targets = page.evaluate(TARGETS_JS, ".topbar :is(a, button, select), .crumbs a")
        assert targets, name
        small = [t for t in targets if t["height"] < 44]
        assert small == [], (name, small)

        # the banner: one line a notice (the incident's ends with its action, in sight), every
        # link in it large enough to tap
        for banner in page.locator("#alert-banner > *:not([hidden])").all():
            assert banner.bounding_box()["height"] <= 60, (name, banner.inner_text())
        links = page.evaluate(TARGETS_JS, "#alert-banner a")
        assert [a["what"] for a in links] == [
            "Open and acknowledge",
            f"{tenant.clinic.name}: A reply waits for your approval",
            "All your notifications",
        ], name
        assert links[0]["right"] <= PHONE[0], (name, links[0])
        assert [a for a in links if a["height"] < 44] == [], (name, links)

        # each row of tabs is one line of 44 px targets
        for row in page.locator("main nav.tabs, main nav.subnav").all():
            tops = row.locator("a").evaluate_all(
                "as => as.map(a => Math.round(a.getBoundingClientRect().top))"
            )
            assert len(set(tops)) == 1, (name, row.get_attribute("aria-label"), tops)
            heights = row.locator("a").evaluate_all(
                "as => as.map(a => a.getBoundingClientRect().height)"
            )
            assert min(heights) >= 44, (name, heights)
        # the current tab is in sight, not scrolled off to the right
        for current in page.locator("main nav.tabs a[aria-current=page]").all():
            box = current.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], (name, box)
        assert serious_violations(page) == [], name
        assert page.console_errors == [], name


def _reach_every_tab(page, browser_server, path: str) -> list[str]:
    """Opens `path`, then each of its tabs by tapping it; returns the paths it reached."""
    page.goto(browser_server.url(path))
    hrefs = page.locator("main nav.tabs a, main nav.subnav a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    )
    reached = []
    for n, href in enumerate(hrefs):
        if n:  # the first tab is tapped on the page just opened, the others on `path` again
            page.goto(browser_server.url(path))
        link = page.locator(f'main :is(nav.tabs, nav.subnav) a[href="{href}"]').first
        link.scroll_into_view_if_needed()
        assert link.is_visible(), href
        link.click()
        page.wait_for_load_state()
        reached.append(page.url.removeprefix(browser_server.url("")))
    return reached


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_every_tab_opens_its_page_on_a_phone(
    browser_server, new_page, owner_with_notices, javascript
):
    tenant, _room, page = _signed_in_owner(
        new_page, owner_with_notices, PHONE, java_script_enabled=javascript
    )
    base = f"/clinics/{tenant.clinic.slug}/"

    reached = _reach_every_tab(page, browser_server, base + "settings/")

    assert reached == [
        base,
        base + "inbox/",
        base + "incidents/",
        base + "replies/",
        base + "statements/",
        base + "facts/",
        base + "report/",
        base + "outbox/",
        base + "imports/",
        base + "settings/",
        base + "settings/",
        base + "settings/people/",
        base + "settings/alerts/",
        base + "sources/",
        base + "settings/templates/",
        base + "settings/thresholds/",
        base + "settings/report/",
        base + "settings/api-keys/",
        base + "settings/history/",
        base + "webhooks/",
        base + "settings/leaving/",
    ]
    assert page.console_errors == []


def test_a_wide_screen_keeps_its_header_and_its_tabs_as_they_were(
    browser_server, new_page, owner_with_notices
):
    tenant, room, page = _signed_in_owner(new_page, owner_with_notices, DESKTOP)

    for name, path in _pages(tenant, room).items():
        page.goto(browser_server.url(path))
        page.wait_for_selector("#alert-banner .incident-banner")
        screenshot(page, f"staff-first-screen-wide-{name}")
        drawn = page.evaluate(
            """() => {
              const box = s => document.querySelector(s).getBoundingClientRect();
              const tabs = [...document.querySelectorAll('main nav.tabs a')];
              const links = [...document.querySelectorAll('.topbar a, .crumbs a')];
              const title = document.querySelector('#alert-banner .incident-banner strong');
              return {
                topbar: Math.round(box('.topbar').height), crumbs: Math.round(box('.crumbs').height),
                links: Math.max(...links.map(a => a.getBoundingClientRect().height)),
                title: title.scrollWidth <= title.clientWidth,
                where: getComputedStyle(document.querySelector('#alert-banner .incident-banner span')).width,
                tabTops: [...new Set(tabs.map(a => Math.round(a.getBoundingClientRect().top)))],
                tabHeights: [...new Set(tabs.map(a => Math.round(a.getBoundingClientRect().height)))],
                tabsScroll: tabs.length ? tabs[0].parentElement.scrollWidth
                  - tabs[0].parentElement.clientWidth : 0,
              };
            }"""
        )
        # as before: the bar's two lines (its links, then the account's), breadcrumbs one small
        # line, the incident's whole title, and a clinic's tabs one row, none out of sight
        assert drawn["topbar"] < 110, (name, drawn)
        assert drawn["crumbs"] < 30 and drawn["links"] < 40, (name, drawn)
        assert drawn["title"] and drawn["where"] != "0px", (name, drawn)
        if name in ("inbox", "incident-room", "clinic-settings"):
            # the current tab sits 1 px lower, on the row's line
            assert max(drawn["tabTops"]) - min(drawn["tabTops"]) <= 1, (name, drawn)
            assert max(drawn["tabHeights"]) < 44 and drawn["tabsScroll"] == 0, (name, drawn)
            assert page.locator("main nav.tabs a").last.is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= DESKTOP[0]
    assert page.console_errors == []
