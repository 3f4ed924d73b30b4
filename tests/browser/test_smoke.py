import pytest

from tests.fixtures.browser import screenshot, serious_violations


@pytest.mark.browser
def test_login_page_renders_without_csp_errors(browser_server, new_page):
    page = new_page("phone")
    page.goto(browser_server.url("/login/"))
    assert page.get_by_role("heading", name="Sign in").is_visible()
    screenshot(page, "login")
    assert serious_violations(page) == []
    assert page.console_errors == []
