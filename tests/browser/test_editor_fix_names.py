"""The reply editor's "Fix this" buttons, in a real Chromium: each one's accessible name says
which finding it fixes ("Fix this: the visit date “December 3”"), a date's fix takes out the
date phrase alone, and the note of what a fix changed goes once the writer types over it."""

from __future__ import annotations

import pytest

from tests.browser.test_editor_and_facts import _editor, _guard_says, _review
from tests.fixtures.browser import serious_violations

pytestmark = pytest.mark.browser

TEXT = (
    "Dear patient, we're so sorry for the long wait on December 3, and we apologize for the "
    "confusion at the front desk."
)


def test_each_fix_names_its_finding_and_its_note_goes_when_the_text_is_retyped(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    review = _review(tenant, text="I waited two hours on December 3. The desk was a mess.")
    page = new_page("desktop")
    box = _editor(page, browser_server, tenant, review)
    box.fill(TEXT)
    _guard_says(page, "Blocked")

    names = page.locator("#guard-live button.fix-one").evaluate_all(
        "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
    )
    assert "Fix this: the visit date “December 3”" in names
    assert "Fix this: calling the reader a patient “Dear patient”" in names
    assert len(set(names)) == len(names)
    assert serious_violations(page) == []

    page.get_by_role("button", name="Fix this: the visit date “December 3”").click()
    fixed = (
        "Dear patient, we're so sorry for the long wait, and we apologize for the confusion "
        "at the front desk."
    )
    page.wait_for_function(
        "(t) => document.getElementById('reply-text').value === t", arg=fixed, timeout=30_000
    )
    note = page.locator("#fix-note")
    assert note.inner_text().startswith("2 changes: took out “Dear patient, we're so sorry")

    box.press("End")
    box.type(" Thanks.")
    page.wait_for_function("() => document.getElementById('fix-note').textContent === ''")
    assert page.console_errors == []
