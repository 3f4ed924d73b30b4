"""The API docs in a real browser: Swagger UI and Redoc load from this server (the CSP allows
nothing else), render every operation and show the examples recorded by
tests/api/test_examples.py."""

import pytest

from tests.fixtures.browser import SCREENSHOTS

OPERATION = "/clinics/{clinic}/api/v1/drafts/{draft_id}/approve/"


def _screenshot(page, name: str) -> None:
    # the viewport only: the whole documents are tens of thousands of pixels tall
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_with_their_recorded_examples(browser_server, new_page):
    page = new_page("desktop")
    page.goto(browser_server.url("/api/docs/"))
    page.get_by_text("Carewatch API").first.wait_for(timeout=20_000)
    block = page.locator(".opblock-post", has_text=OPERATION).first
    block.locator(".opblock-summary").click()
    # the recorded answer: the draft as it stood after the agency's approval
    block.get_by_text('"pending_client"').first.wait_for(timeout=10_000)
    block.scroll_into_view_if_needed()
    _screenshot(page, "api-docs-swagger")
    assert page.locator(".opblock").count() >= 90
    assert page.console_errors == []


@pytest.mark.browser
def test_redoc_renders_with_the_recorded_examples(browser_server, new_page):
    page = new_page("desktop")
    page.goto(browser_server.url("/api/redoc/"))
    page.get_by_role("heading", name="Carewatch API").first.wait_for(timeout=30_000)
    # Redoc shows each operation's request example, here the recorded token request
    page.get_by_text("Reporting script").first.wait_for(timeout=10_000, state="attached")
    _screenshot(page, "api-docs-redoc")
    # Redoc's bundle hard-codes its "by Redocly" logo from cdn.redoc.ly; the CSP refuses it on
    # purpose (no third-party requests from our pages) and Redoc then hides the image.
    others = [e for e in page.console_errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e]
    assert others == []
