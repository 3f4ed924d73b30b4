"""The API docs in a real browser: Swagger UI and Redoc load from this server (the CSP allows
nothing else), render every tag and operation and show the examples recorded by
tests/api/test_examples.py.

Swagger UI (5.2x and later, drf-spectacular-sidecar) virtualizes its list once the document has
150 tags and operations or more: only what is on screen, and a few items around it, is in the
page, and scrolling renders the rest. So these tests scroll through the list and collect what
it rendered, rather than count the elements on the page at one time (with the offboarding
operations in the document, a count saw only the first three tags)."""

import pytest

from tests.api.test_examples import METHODS, openapi_schema
from tests.fixtures.browser import SCREENSHOTS

OPERATION = "/clinics/{clinic}/api/v1/drafts/{draft_id}/approve/"
SWAGGER_VIRTUALIZES_AT = 150  # tags + operations, in Swagger UI's Operations component


def _screenshot(page, name: str) -> None:
    # the viewport only: the whole documents are tens of thousands of pixels tall
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _scroll_through(page, *, until=None) -> tuple[list[str], set[str]]:
    """Scroll Swagger UI's list from the top to the end (or until the locator `until` is in the
    page), collecting the tags (in order) and the operations (their element ids) it rendered."""
    page.evaluate("window.scrollTo(0, 0)")
    tags: list[str] = []
    operations: set[str] = set()
    for _ in range(500):
        for tag in page.locator(".opblock-tag").evaluate_all(
            "els => els.map(e => e.getAttribute('data-tag'))"
        ):
            if tag not in tags:
                tags.append(tag)
        operations |= set(page.locator(".opblock").evaluate_all("els => els.map(e => e.id)"))
        if until is not None and until.count():
            break
        moved = page.evaluate(
            "() => { const y = window.scrollY; window.scrollBy(0, 500); return window.scrollY > y }"
        )
        page.wait_for_timeout(60)  # the virtualizer renders the items now in view
        if not moved:
            break
    return tags, operations


def _open_docs(page, browser_server) -> None:
    page.goto(browser_server.url("/api/docs/"))
    page.get_by_text("Carewatch API").first.wait_for(timeout=20_000)
    page.locator(".opblock-tag").first.wait_for(timeout=20_000)


@pytest.mark.browser
def test_swagger_ui_renders_every_tag_and_operation_of_the_document(browser_server, new_page):
    # given the document the server serves (generated from the same code)
    schema = openapi_schema()
    expected_tags = [tag["name"] for tag in schema["tags"]]
    expected_operations = {
        f"operations-{operation['tags'][0]}-{operation['operationId']}"
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    }
    assert len(expected_tags) + len(expected_operations) >= SWAGGER_VIRTUALIZES_AT
    page = new_page("desktop")
    _open_docs(page, browser_server)
    # the list is virtualized: a screen holds a few tags, not all of them
    assert page.locator(".operations-virtual").count() == 1
    assert page.locator(".opblock-tag").count() < len(expected_tags)

    # when a reader scrolls to the end
    tags, operations = _scroll_through(page)

    # then every tag was rendered, in the document's order, and every operation under it
    assert tags == expected_tags
    assert operations == expected_operations
    assert {"leaving", "privacy-requests"} <= set(tags)
    assert page.console_errors == []


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_with_their_recorded_examples(browser_server, new_page):
    page = new_page("desktop")
    _open_docs(page, browser_server)
    block = page.locator(".opblock-post", has_text=OPERATION).first
    _scroll_through(page, until=block)
    block.scroll_into_view_if_needed()
    block.locator(".opblock-summary").click()
    # the recorded answer: the draft as it stood after the agency's approval
    block.get_by_text('"pending_client"').first.wait_for(timeout=10_000)
    block.scroll_into_view_if_needed()
    _screenshot(page, "api-docs-swagger")
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
