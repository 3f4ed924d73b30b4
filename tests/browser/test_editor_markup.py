"""The reply editor's live check, in a real Chromium: markup (which saving refuses) is a
blocking finding, Submit is off with the refusal's words, and "Apply all fixes" takes the
markup out though the privacy check finds nothing else."""

from __future__ import annotations

import pytest

from tests.browser.test_editor_and_facts import _editor, _guard_says, _review

pytestmark = pytest.mark.browser


def test_markup_blocks_submit_and_apply_all_takes_it_out(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    review = _review(tenant, text="The wait was long but the staff were kind.")
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    box.fill("<b>Thank you</b> for taking the time to write to us.")
    _guard_says(page, "Blocked")

    assert page.locator("#submit-button").is_disabled()
    assert page.locator("#submit-reason").inner_text() == (
        "Submit is off: Replies are posted as plain text: remove the markup <b> and </b>. "
        "Apply all fixes takes it out."
    )
    assert page.locator("#ask-legal-button").is_hidden()

    page.locator("#apply-all-fixes").click()
    page.wait_for_function(
        "(t) => document.getElementById('reply-text').value === t",
        arg="Thank you for taking the time to write to us.",
        timeout=30_000,
    )
    page.wait_for_function("() => !document.getElementById('submit-button').disabled")
    assert page.console_errors == []
