"""On a phone (390 px) in a real Chromium, a checkbox is a tap target of 24 px at least (it
was the browser's 13 px: the inbox's row boxes), while a wide screen keeps the browser's own
size; and the current sub-page's underline shows (3:1 at least) on the page whatever the
agency's colour: a light one (#f5e663) drew it at 1.3:1."""

from __future__ import annotations

import re

import pytest

from agency.branding import contrast
from tests.fixtures.browser import sign_in
from tests.responses.conftest import review_in

pytestmark = pytest.mark.browser
LIGHT = "#f5e663"


def _rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


def _row_box(page) -> dict:
    return page.locator("#reviews tbody input[type=checkbox]").first.bounding_box()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "wide"])
def test_a_checkbox_is_a_tap_target_on_a_phone_and_as_drawn_on_a_wide_screen(
    browser_server, new_page, committed_tenant, width
):
    tenant = committed_tenant(colour=LIGHT)
    review_in(tenant.clinic, "csv", text="The parking was full again.")
    page = new_page((width, 844))
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])

    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/inbox/"))

    box = _row_box(page)
    if width == 390:
        assert box["width"] >= 24 and box["height"] >= 24, box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    else:
        assert box["width"] < 20 and box["height"] < 20, box  # the browser's own box


def test_the_current_sub_pages_underline_shows_with_a_light_brand_colour(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant(colour=LIGHT)
    page = new_page((1280, 800))
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])

    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/follow-ups/"))

    current = page.locator('.subnav a[aria-current="page"]').first
    line = _rgb(current.evaluate("a => getComputedStyle(a).borderBottomColor"))
    background = _rgb(page.evaluate("() => getComputedStyle(document.body).backgroundColor"))
    assert current.evaluate("a => getComputedStyle(a).borderBottomStyle") == "solid"
    assert contrast(line, background) >= 3.0, (line, background)
    assert contrast(line, (255, 255, 255)) >= 3.0
    # the bar keeps the agency's own colour
    bar = _rgb(
        page.evaluate("() => getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    )
    assert bar == (0xF5, 0xE6, 0x63)
