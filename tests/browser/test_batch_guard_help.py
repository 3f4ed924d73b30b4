"""The batch page ("one answer for many") gives the single editor's guard help, in a real
Chromium: as the text is blocked, each finding has its suggestion and "Fix this", "Apply all
fixes" gives a text that passes the guard with its variables kept ({greeting},
{contact_line}), and Submit comes back on; while blocked, "Save and ask legal to lift the block"
is offered instead of Submit, and saving asks nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fixtures.browser import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: the first guard check in a fresh server loads the privacy guard
BLOCKED = (
    "{greeting} thank you for raising this. We reviewed your chart and everything was fine. "
    "Please call us at {contact_line}."
)
FIXED = "{greeting} thank you for raising this. Please call us at {contact_line}."


def _batch(tenant):
    from accounts.actors import Actor
    from clinics.access import clinic_access
    from feeds.models import Review, Source
    from responses.services.batches import reply_batch_create

    with tenant.schema():
        source = Source.objects.get_or_create(
            kind="google", name="Google Business Profile", defaults={"enabled": False}
        )[0]
        reviews = [
            Review.objects.create(
                source=source,
                external_id=f"bg-{n}",
                author_name=f"Reviewer {n}",
                rating=1,
                text="Riverside reuses needles.",
                published_at=timezone.now() - timedelta(hours=n),
            )  # fmt: skip
            for n in (1, 2)
        ]
        access = clinic_access(Actor(user=tenant.users["writer"]), tenant.clinic)
        return reply_batch_create(
            access=access, review_ids=[r.pk for r in reviews], kind="reply", text=BLOCKED
        )


@pytest.mark.browser
def test_the_batch_page_fixes_a_blocked_text_as_the_single_editor_does(
    browser_server, new_page, committed_tenant
):
    from clinics.models import Notification
    from responses.models import ReplyBatch

    tenant = committed_tenant()
    batch = _batch(tenant)
    assert batch.guard_verdict == "block"
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/replies/batches/{batch.pk}/"))

    # the live check shows the guard's help on the blocked text
    page.locator("#apply-all-fixes").wait_for(state="visible", timeout=SLOW)
    finding = page.locator("#guard-live .findings li", has_text="reviewed your chart")
    assert finding.locator("button.fix-one").is_visible()
    assert finding.locator(".suggestion").inner_text().startswith("Suggestion: ")
    assert page.locator("#submit-button").is_disabled()
    ask = page.get_by_role("button", name="Save and ask legal to lift the block")
    assert ask.is_visible()
    reason = page.locator("#submit-reason").inner_text()
    assert reason.startswith("Submit is off: the guard blocks this text")
    assert reason.endswith(", or ask legal to lift the block.")
    screenshot(page, "batch-guard-help")
    assert serious_violations(page) == []
    # nobody was asked anything for a text only saved
    assert not Notification.objects.filter(ref=f"reply_batch:{batch.pk}").exists()

    # "Apply all fixes": the text passes, its variables kept, and Submit is on again
    page.locator("#apply-all-fixes").click()
    page.wait_for_function(
        "(t) => document.getElementById('batch-text-area').value === t", arg=FIXED, timeout=SLOW
    )
    page.wait_for_function("() => !document.getElementById('submit-button').disabled")
    assert page.locator("#fix-note").inner_text() == (
        "1 change: took out “We reviewed your chart and everything was fine.”."
    )
    assert ask.is_hidden()
    with tenant.schema():
        assert ReplyBatch.objects.get(pk=batch.pk).version == 1  # nothing saved by the fix
    screenshot(page, "batch-guard-fixed")
    assert page.console_errors == []
