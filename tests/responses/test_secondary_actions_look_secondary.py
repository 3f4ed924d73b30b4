"""A secondary or destructive action ("Take out" a mention of a batch, "Discard the batch",
"Reject with this comment") is outlined, not the brand colour of the step to take, and taking
a mention out asks first (walk 1 on phones, F9: "Take out" looked like Approve and Submit)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from tests.responses.test_batches import _claim

APP_CSS = Path(settings.BASE_DIR) / "static" / "css" / "app.css"


def _rule(css: str, selector: str) -> tuple[int, str]:
    """Where the rule for exactly `selector` starts, and its declarations."""
    found = re.search(rf"(?m)^{re.escape(selector)} \{{([^}}]*)\}}", css)
    assert found, selector
    return found.start(), found.group(1)


def test_a_secondary_button_is_outlined_and_one_that_is_off_still_looks_off():
    css = APP_CSS.read_text()
    at, rule = _rule(css, "button.secondary")
    assert "background: #fff" in rule and "var(--brand)" not in rule
    assert "border: 2px solid" in rule
    # the grey of a button that is off comes later: a secondary one that is off looks off too
    disabled_at, disabled = _rule(css, "button:disabled")
    assert disabled_at > at and "cursor: not-allowed" in disabled


def test_take_out_and_discard_on_the_batch_page_are_secondary_and_take_out_asks(
    clinic_a, as_user, login
):
    cluster_id, review_ids = _claim(clinic_a)
    batch = as_user("alpha_writer", clinic_a).post("reply-batches/", {"cluster_id": cluster_id})
    assert batch.status_code == 201

    html = (
        login("alpha_writer")
        .get(f"/clinics/clinic-a/replies/batches/{batch.json()['id']}/")
        .content.decode()
    )

    take_out = re.findall(r'<button[^>]*value="remove"[^>]*>', html)
    assert len(take_out) == len(review_ids) == 3
    for button in take_out:
        assert 'class="secondary"' in button
        assert re.search(r'data-confirm="Take the mention by [^"]+ out of the batch\?', button)
    [discard] = re.findall(r'<button[^>]*value="discard"[^>]*>', html)
    assert 'class="secondary"' in discard
    # the step to take keeps the brand's colour
    [submit] = re.findall(r'<button[^>]*id="submit-button"[^>]*>', html)
    assert "secondary" not in submit
