"""The dashboard's "new in the last 24 hours": reviews and mentions that arrived in Carewatch in
the 24 hours before the row was read, and the negative ones among them, per clinic and in the
totals. It is a precomputed figure (`ClinicSnapshot`), and it drops as items turn 24 hours old
without any write in the clinic: the sweeper refreshes the row at that moment."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from dashboard.models import ClinicSnapshot
from dashboard.selectors import dashboard_totals
from dashboard.services import clinic_snapshot_refresh, clinic_snapshots_due
from feeds.models import Review

DAY = timedelta(hours=24)


def _arrived_at(clinic, review, at) -> None:
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(created_at=at)


def test_the_figure_counts_the_last_24_hours_and_drops_when_an_item_turns_24_hours_old(
    clinic_a, rows
):
    now = timezone.now()
    r = rows(clinic_a)
    # given: one negative review exactly 24 h old (out), one a second younger (in), a positive
    # review and a negative mention of the last hours, and what never counts as arrived: a
    # review imported as past, one taken down, a negative one of two days ago
    exactly = r.review(rating=1, text="Exactly a day old")
    edge = r.review(rating=2, text="A second younger")
    positive = r.review(rating=5, label="positive")
    mention = r.review(label="negative", text="Avoid this clinic")
    past = r.review(rating=1)
    gone = r.review(rating=1)
    old = r.review(rating=1)
    _arrived_at(clinic_a, exactly, now - DAY)
    _arrived_at(clinic_a, edge, now - DAY + timedelta(seconds=1))
    _arrived_at(clinic_a, positive, now - timedelta(hours=1))
    _arrived_at(clinic_a, mention, now - timedelta(hours=2))
    _arrived_at(clinic_a, old, now - 2 * DAY)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=mention.pk).update(kind="mention")
        Review.objects.filter(pk=past.pk).update(imported_as_past=True)
        Review.objects.filter(pk=gone.pk).update(is_deleted=True, deleted_at=now)

    # when the row is refreshed
    snap = clinic_snapshot_refresh(clinic=clinic_a, now=now)

    # then three arrived, two of them negative; the figure next changes when `edge` turns 24 h
    assert (snap.arrived_24h, snap.arrived_24h_negative) == (3, 2)
    turns = now + timedelta(seconds=1)
    assert snap.arrived_changes_at == turns
    totals = dashboard_totals(agency=clinic_a.agency)
    assert (totals["arrived"], totals["arrived_negative"]) == (3, 2)

    # when that moment comes, with no write in the clinic, the sweeper refreshes the row
    assert clinic_a.pk in clinic_snapshots_due(now=turns)
    snap = clinic_snapshot_refresh(clinic=clinic_a, now=turns)

    # then `edge`, now exactly 24 h old, is out; the next change is the mention's
    assert (snap.arrived_24h, snap.arrived_24h_negative) == (2, 1)
    assert snap.arrived_changes_at == now - timedelta(hours=2) + DAY
    # and once everything is older than a day, nothing is left and nothing is due for it
    later = now + 2 * DAY
    snap = clinic_snapshot_refresh(clinic=clinic_a, now=later)
    assert (snap.arrived_24h, snap.arrived_24h_negative, snap.arrived_changes_at) == (0, 0, None)


def test_the_dashboard_shows_it_per_clinic_and_in_the_totals(login, clinic_a):
    ClinicSnapshot.objects.filter(clinic=clinic_a).delete()
    ClinicSnapshot.objects.create(
        clinic=clinic_a, agency=clinic_a.agency, refreshed_at=timezone.now(),
        arrived_24h=5, arrived_24h_negative=2, arrived_changes_at=timezone.now() + DAY,
    )  # fmt: skip
    html = login("alpha_manager").get("/agency/").content.decode()
    row = html[html.index(f'<tr data-clinic="{clinic_a.slug}">') :]
    row = row[: row.index("</tr>")]
    assert '<small class="muted" data-testid="arrived-24h">5 new in 24 h, 2 negative</small>' in row
    total = re.search(r'data-testid="total-arrived">(\d+)</strong> new in the last 24 hours', html)
    negative = re.search(r'data-testid="total-arrived-negative">(\d+) negative', html)
    assert total and negative
    assert int(total.group(1)) >= 5 and int(negative.group(1)) >= 2
