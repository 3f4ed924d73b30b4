"""The inbox's row checkboxes are named after their row (channel, time, first words) for screen
readers, not after an internal id ("Select review 150")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django_tenants.utils import schema_context

from feeds.models import Review, Source


def test_a_row_checkbox_says_which_review_it_selects(clinic_a, login):
    # given a Yelp review in the clinic's inbox
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="yelp", name="Yelp")
        review = Review.objects.create(
            source=source, external_id="cb-1", author_name="Quinn Checkbox",
            text="The front desk team was friendly and got me checked in quickly, thank you all.",
            published_at=datetime(2026, 11, 3, 14, 5, tzinfo=UTC),
        )  # fmt: skip
    client = login("alpha_manager")

    # when the manager opens the inbox on that author
    page = client.get("/clinics/clinic-a/inbox/", {"author": "Quinn Checkbox"}).content.decode()

    # then the row's checkbox names the channel, the time (the clinic's clock) and the first words
    box = re.search(rf'<input type="checkbox" name="review" value="{review.pk}"[^>]*>', page)
    assert box, page
    label = re.search(r'aria-label="([^"]*)"', box.group(0)).group(1)
    assert label.startswith("Select: Yelp, 2026-11-03 ")
    assert label.endswith(", “The front desk team was friendly and got me checked in quic…”")
