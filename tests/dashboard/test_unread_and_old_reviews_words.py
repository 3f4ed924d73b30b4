"""The dashboard names what it counts: the reviews in status New of any date are "Unread (all
time)", not "New reviews" (a September review still counts), and a clinic whose reviews are
all older than the sentiment line's 14 days reads so, not "no scored reviews"."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from dashboard.services import clinic_snapshot_refresh
from feeds.models import Review

URL = "/agency/"


def _row(html: str, slug: str) -> str:
    row = html[html.index(f'data-clinic="{slug}"') :]
    return row[: row.index("</tr>")]


def test_an_old_unread_review_is_counted_as_unread_of_any_date(clinic_a, rows, login):
    # given: Clinic A's only reviews are scored and 40 days old, one still unread
    made = rows(clinic_a)
    old = made.review(hours_ago=40 * 24, rating=2, label="negative", text="Back in October")
    with schema_context(clinic_a.schema_name):
        Review.objects.exclude(pk=old.pk).update(published_at=timezone.now() - timedelta(days=60))
    clinic_snapshot_refresh(clinic=clinic_a)

    html = login("alpha_manager").get(URL).content.decode()

    # then: the column and the total say what they count
    assert ">Unread (all time)<" in html
    assert "New reviews" not in html
    assert "unread review" in html and "(status New, of any date)" in html
    row = _row(html, clinic_a.slug)
    assert "unread reviews at Clinic A, of any date" in row
    # and the line says why it is empty: nothing in its 14 days, not nothing scored
    assert '<span class="muted">No scored reviews in the last 14 days</span>' in row
