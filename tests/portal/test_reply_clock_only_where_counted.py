"""The portal's reply clock ("overdue by … to reply in time") shows only on replies to reviews
the reply target counts (negative or 1-2 stars: `inbox.selectors.review_counts_for_reply_target`,
as the dashboard's and the inbox's SLA); a 5-star thank-you has none."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tests.fixtures.rows import score_add
from tests.portal.helpers import reply_waiting_for_clinic
from tests.responses.conftest import review_in

THANKS = "Thank you for your kind words! We are glad to hear it."
SORRY = "Thank you for your feedback. Please contact us at +1 555 0100 so we can help."


def test_the_portal_shows_the_clock_only_on_replies_the_sla_counts(world, clinic_a, login):
    old = timezone.now() - timedelta(hours=36)
    happy = review_in(clinic_a, "csv", text="Friendly and quick.", published_at=old)
    unhappy = review_in(clinic_a, "csv", text="Nobody called me back.", published_at=old)
    with schema_context(clinic_a.schema_name):
        happy.rating = 5
        happy.save(update_fields=["rating"])
        score_add(review=happy, model_version="t", label="positive", score=0.9, topics=[], flags=[])
    drafts = {
        review.pk: reply_waiting_for_clinic(
            clinic=clinic_a,
            review=review,
            writer=world.users["alpha_writer"],
            manager=world.users["alpha_manager"],
            text=text,
        )
        for review, text in ((happy, THANKS), (unhappy, SORRY))
    }

    html = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()

    def meta(review) -> str:
        card = f'id="card-reply-{drafts[review.pk].pk}"'
        return re.search(rf'{card}.*?<p class="meta">(.*?)</p>', html, re.S).group(1)

    seen = '<span data-testid="card-seen" data-version="1">New to you</span>'
    assert meta(happy) == seen
    assert re.fullmatch(
        re.escape(seen)
        + r' · <strong class="late">overdue by 12 h( \d+ min)?</strong> to reply in time',
        meta(unhappy),
    )
