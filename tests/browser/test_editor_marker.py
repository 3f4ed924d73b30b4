"""The reply editor's "— edited, not saved yet" marker is true, in a real Chromium: a
suggestion loaded into the editor is not an edit; typing is; saving (and submitting) ends it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

TYPED = "Thank you for the kind words. We are glad the care helped."


def _positive_review(tenant):
    from feeds.models import Review, Source
    from tests.fixtures.rows import score_add

    with tenant.schema():
        source = Source.objects.get_or_create(
            kind="google", name="Google Business Profile", defaults={"enabled": False}
        )[0]
        review = Review.objects.create(
            source=source,
            external_id=f"mk-{Review.objects.count() + 1}",
            author_name="Sam R.",
            rating=5,
            text="Friendly front desk and a very clean clinic.",
            published_at=timezone.now() - timedelta(hours=3),
        )
        score_add(
            review=review,
            model_version="browser-test",
            label="positive",
            score=0.8,
            topics=[],
            flags=[],
        )
    return review


def _marker_shown(page) -> bool:
    return page.locator("#loaded-edited").is_visible()


def test_the_edited_marker_shows_only_while_typed_text_is_unsaved(
    browser_server, new_page, committed_tenant
):
    from responses.models import ReplyDraft

    tenant = committed_tenant()
    review = _positive_review(tenant)
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/replies/review/{review.pk}/"))
    box = page.get_by_label(re.compile("^Reply text"))

    # given: the suggestion in the editor, nothing typed (and the guard's first check answered)
    assert "(suggested)" in page.locator("#loaded").inner_text()
    page.wait_for_function(
        "() => document.querySelector('#guard-live').textContent.includes('Guard verdict: OK')",
        timeout=30_000,
    )
    assert not _marker_shown(page)
    assert "edited" not in page.locator("#loaded").inner_text()

    # when: the untouched suggestion is checked on the server, it is still not an edit
    page.get_by_role("button", name="Check with the guard").click()
    page.wait_for_load_state()
    assert "(suggested)" in page.locator("#loaded").inner_text()
    assert not _marker_shown(page)

    # when: the writer types, the marker shows
    box = page.get_by_label(re.compile("^Reply text"))
    box.fill(TYPED)
    assert _marker_shown(page)

    # when: saved and submitted, the page that comes back has no marker
    page.get_by_role("button", name="Save and submit for approval").click()
    page.wait_for_load_state()
    assert "Saved and submitted" in page.locator("main .flash").first.inner_text()
    assert not _marker_shown(page)
    assert "edited" not in page.locator("#loaded").inner_text()
    with tenant.schema():
        assert ReplyDraft.objects.get(review=review).versions.get(number=1).text == TYPED
    assert page.console_errors == []
